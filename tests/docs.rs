//! The project's own documents stay in step with the binary: `docs/CONTRACT.md` names every rule
//! and every output format, `docs/LIBRARIES.md` has the notes of every library version the Python
//! catalog names, and nothing the project ships points outside the repository.

mod common;

use common::*;

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_contract_names_every_rule_and_every_format() {
    let contract = read("docs/CONTRACT.md");
    let (_, rules, _) = run_in(&repo(), &["rules"]);
    let mut named = 0;
    for line in rules.lines() {
        let mut words = line.split_whitespace();
        let (Some(code), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        if code.starts_with("SDB") {
            named += 1;
            assert!(
                contract.contains(&format!("| {code} | {name} |")),
                "docs/CONTRACT.md lacks {code} {name}"
            );
        }
    }
    assert!(named >= 5, "{rules}");
    let (_, help, _) = run_in(&repo(), &["check", "--help"]);
    let formats: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.contains("Possible values:"))
        .skip(1)
        .map_while(|l| l.trim().strip_prefix("- "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(formats.contains(&"gitlab"), "{help}");
    for format in formats {
        assert!(
            contract.contains(&format!("| `{format}` |")),
            "docs/CONTRACT.md lacks the format {format}"
        );
    }
}

#[test]
fn the_library_notes_cover_every_version_the_python_catalog_names() {
    let notes = read("docs/LIBRARIES.md");
    let catalog = read("crates/engine/src/python/catalog.rs");
    // The versions the managers were read at: `const NAME: &str = "library x.y.z";`.
    let versions: Vec<&str> = catalog
        .lines()
        .filter_map(|l| l.strip_prefix("const "))
        .filter_map(|l| l.split_once(": &str = \"")?.1.strip_suffix("\";"))
        .filter(|v| v.chars().any(|c| c.is_ascii_digit()))
        .collect();
    assert!(versions.len() >= 20, "{versions:?}");
    let missing: Vec<&&str> = versions.iter().filter(|v| !notes.contains(**v)).collect();
    assert!(missing.is_empty(), "docs/LIBRARIES.md lacks {missing:?}");
}

#[test]
fn nothing_the_project_ships_points_outside_the_repository() {
    let outside = ["shared", "/"].concat();
    let listed = std::process::Command::new("git")
        .args(["ls-files"])
        .current_dir(repo())
        .output()
        .unwrap();
    let files = String::from_utf8(listed.stdout).unwrap();
    let mut found = Vec::new();
    for file in files.lines() {
        let Ok(text) = std::fs::read_to_string(repo().join(file)) else {
            continue;
        };
        for (i, line) in text.lines().enumerate() {
            if line.contains(&outside) {
                found.push(format!("{file}:{}", i + 1));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
