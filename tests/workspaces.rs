//! Rust workspaces through the built binary: calls and types that cross a crate boundary are
//! followed by the names the manifests give, and a manifest that cannot be read is named once on
//! standard error without changing anything else.

mod common;

use std::path::Path;

use common::*;

const WORKSPACE: &str = "[workspace]\nmembers = [\"crates/*\"]\n\n\
    [workspace.dependencies]\napp-db = { path = \"crates/db\" }\n\
    sqlx = { version = \"0.8\", features = [\"postgres\"] }\n";
const DB_MANIFEST: &str = "[package]\nname = \"app-db\"\nversion = \"0.1.0\"\n";
const API_MANIFEST: &str = "[package]\nname = \"app-api\"\nversion = \"0.1.0\"\n\n\
    [dependencies]\ndb = { workspace = true, package = \"app-db\" }\nsqlx = { workspace = true }\n";
const DB: &str = "pub type DbPool = sqlx::PgPool;\n\
    pub async fn open_tx(pool: &DbPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {\n\
    \x20   let tx = pool.begin().await?;\n\
    \x20   Ok(tx)\n\
    }\n";
const API: &str = "use db::DbPool;\n\
    pub async fn tx_for_request(pool: &DbPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {\n\
    \x20   db::open_tx(pool).await\n\
    }\n\
    pub async fn conn_for_request(pool: &DbPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
    \x20   let conn = pool.acquire().await?;\n\
    \x20   Ok(conn)\n\
    }\n";

fn workspace(api_manifest: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Cargo.toml", WORKSPACE);
    write(dir.path(), "crates/db/Cargo.toml", DB_MANIFEST);
    write(dir.path(), "crates/db/src/lib.rs", DB);
    write(dir.path(), "crates/api/Cargo.toml", api_manifest);
    write(dir.path(), "crates/api/src/lib.rs", API);
    dir
}

fn short(dir: &Path, args: &[&str]) -> (i32, Vec<String>, String) {
    let mut all = vec!["check", "--format", "short"];
    all.extend(args);
    let (code, stdout, stderr) = run_in(dir, &all);
    let lines = stdout
        .lines()
        .filter(|l| l.contains(": SDB"))
        .map(|l| l.split(": ").next().unwrap().to_string())
        .collect();
    (code, lines, stderr)
}

#[test]
fn a_sibling_crate_is_followed_by_the_name_its_manifest_gives() {
    let dir = workspace(API_MANIFEST);
    let (code, found, stderr) = short(dir.path(), &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        found,
        [
            "./crates/api/src/lib.rs:3:5",
            "./crates/api/src/lib.rs:7:8",
            "./crates/db/src/lib.rs:4:8",
        ],
        "{stderr}"
    );
    assert!(stderr.lines().all(|l| !l.contains("warning")), "{stderr}");
    // The pre-commit shape: the staged file alone, the workspace as context.
    let (code, found, _) = short(dir.path(), &["--context", ".", "crates/api/src/lib.rs"]);
    assert_eq!(code, 1);
    assert_eq!(
        found,
        ["crates/api/src/lib.rs:3:5", "crates/api/src/lib.rs:7:8"]
    );
    // Absolute paths name the same crates.
    let root = dir.path().canonicalize().unwrap();
    let (_, found, _) = short(dir.path(), &[root.to_str().unwrap()]);
    assert_eq!(found.len(), 3, "{found:?}");
}

#[test]
fn a_dependency_from_the_registry_is_not_a_crate_of_the_run_with_that_name() {
    // `db = "2"`: the registry crate, whatever the run holds under that name.
    let manifest =
        "[package]\nname = \"app-api\"\nversion = \"0.1.0\"\n[dependencies]\ndb = \"2\"\n";
    let dir = workspace(manifest);
    write(
        dir.path(),
        "crates/db/Cargo.toml",
        "[package]\nname = \"db\"\n",
    );
    let (code, found, _) = short(dir.path(), &["."]);
    assert_eq!(code, 1);
    // `db::open_tx` links to nothing; `pool.acquire()` on the registry's `DbPool` is still an
    // acquisition, as the declared `PoolConnection` says.
    assert_eq!(
        found,
        ["./crates/api/src/lib.rs:7:8", "./crates/db/src/lib.rs:4:8"]
    );
}

#[test]
fn a_manifest_that_does_not_parse_is_named_once_and_the_run_goes_on() {
    let dir =
        workspace("[package]\nname = \"app-api\"\n[dependencies\ndb = { workspace = true }\n");
    let (code, found, stderr) = short(dir.path(), &["."]);
    // The db crate's own finding stands (and the api crate's own acquisition, which its declared
    // `PoolConnection` makes certain); the exit status is the findings'.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        found,
        ["./crates/api/src/lib.rs:7:8", "./crates/db/src/lib.rs:4:8"]
    );
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].contains("crates/api/Cargo.toml") && warnings[0].contains("line 3"),
        "{stderr}"
    );
    // Without a finding, the warning does not change the exit status.
    let clean = workspace("[dependencies\n");
    write(clean.path(), "crates/db/src/lib.rs", "pub fn f() {}\n");
    write(clean.path(), "crates/api/src/lib.rs", "pub fn g() {}\n");
    let (code, _, stderr) = short(clean.path(), &["."]);
    assert_eq!(code, 0, "{stderr}");
}
