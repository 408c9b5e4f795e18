//! Build script: records the git commit in the version string when the tool is built from a git
//! checkout of its own repository (`scoped-db 0.1.0 (rev 1a2b3c4d5e)`); from a registry package or
//! a source archive the version is the manifest's alone.

use std::path::Path;
use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let full = match commit() {
        Some(rev) => format!("{version} (rev {rev})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=SCOPED_DB_VERSION={full}");
    println!("cargo:rerun-if-changed=build.rs");
}

/// The checked-out commit, when this package's own directory is the top of a git work tree (a
/// crate vendored into another repository must not take that repository's commit).
fn commit() -> Option<String> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let manifest_dir = Path::new(&manifest_dir);
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git")
            .args(args)
            .current_dir(manifest_dir)
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if Path::new(&top).canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    // Rebuilt when the checkout moves to another commit: a commit or a checkout writes to
    // the reflog.
    for path in ["HEAD", "logs/HEAD"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            let file = manifest_dir.join(file);
            if file.exists() {
                println!("cargo:rerun-if-changed={}", file.display());
            }
        }
    }
    git(&["rev-parse", "--short=10", "HEAD"])
}
