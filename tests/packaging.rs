//! The packages' manifests agree with each other: one version everywhere a release is named, the
//! pre-commit hooks and the licenses the wheel ships.

mod common;

use common::repo;

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn toml(rel: &str) -> toml::Table {
    read(rel)
        .parse()
        .unwrap_or_else(|e| panic!("{rel} is not TOML: {e}"))
}

#[test]
fn every_package_names_the_same_version() {
    let version = env!("CARGO_PKG_VERSION");
    let cargo = toml("Cargo.toml");
    assert_eq!(
        cargo["workspace"]["package"]["version"].as_str(),
        Some(version)
    );
    // The crates are released together: each pins the engine it was built with.
    for (manifest, table) in [
        ("Cargo.toml", "dependencies"),
        ("crates/macros/Cargo.toml", "dependencies"),
    ] {
        let engine = &toml(manifest)[table]["scoped-db-engine"];
        assert_eq!(
            engine["version"].as_str(),
            Some(format!("={version}").as_str()),
            "{manifest}"
        );
    }
    // The wheel takes its version from Cargo.toml; the pre-commit package pins that wheel.
    let wheel = toml("python/pyproject.toml");
    assert_eq!(wheel["project"]["name"].as_str(), Some("scoped-db"));
    assert_eq!(
        wheel["project"]["dynamic"].as_array().unwrap()[0].as_str(),
        Some("version")
    );
    assert_eq!(wheel["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    let hook = toml("pyproject.toml");
    assert_eq!(hook["project"]["version"].as_str(), Some(version));
    assert_eq!(
        hook["project"]["dependencies"].as_array().unwrap()[0].as_str(),
        Some(format!("scoped-db=={version}").as_str())
    );
    assert!(
        read("CHANGELOG.md").contains(&format!("\n## {version} ")),
        "CHANGELOG.md has no entry for {version}"
    );
}

#[test]
fn the_wheel_ships_the_repository_licenses() {
    // pyproject.toml cannot name files above its directory, so python/ holds copies.
    for name in ["LICENSE-MIT", "LICENSE-APACHE"] {
        assert_eq!(read(&format!("python/{name}")), read(name), "python/{name}");
    }
}

#[test]
fn both_pre_commit_hooks_check_staged_files_in_their_project() {
    let hooks = read(".pre-commit-hooks.yaml");
    let entries: Vec<&str> = hooks
        .lines()
        .filter_map(|l| l.trim().strip_prefix("entry: "))
        .collect();
    assert_eq!(
        entries, ["scoped-db check --format short --force-exclude --context ."; 2],
        "{hooks}"
    );
    for language in ["language: rust", "language: python"] {
        assert!(hooks.contains(language), "{language}");
    }
}
