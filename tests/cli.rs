//! End-to-end: the built `scoped-db` binary run as a process, its stdout, stderr and exit status.

mod common;

use common::*;

#[test]
fn the_seed_is_reported_with_labels_and_exits_1() {
    insta::assert_snapshot!(transcript(&repo(), &["check", "fixtures/seed/before"]));
}

#[test]
fn the_fixed_seed_is_clean_and_exits_0() {
    insta::assert_snapshot!(transcript(&repo(), &["check", "fixtures/seed/after"]));
}

#[test]
fn json_output_follows_the_contract() {
    let (code, stdout, stderr) = run_in(
        &repo(),
        &["check", "--format", "json", "fixtures/seed/before"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "", "JSON mode keeps stderr quiet");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["summary"]["findings"], 3);
    assert_eq!(doc["summary"]["files_checked"], 1);
    assert_eq!(doc["summary"]["errors"], 0);
    let functions = pluck(&doc, &["function"]);
    assert_eq!(
        functions,
        [
            "DatabaseManager::_attempt_connection",
            "DatabaseManager::get_connection_with_retry",
            "DatabaseManager::get_connection_with_timeout"
        ]
    );
    insta::assert_snapshot!(stdout);
}

#[test]
fn propagation_crosses_files() {
    let (code, stdout, _) = run_in(
        &repo(),
        &["check", "--format", "json", "fixtures/cross_file"],
    );
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        pluck(&doc, &["path", "function"]),
        [
            "fixtures/cross_file/src/db.rs Database::connection",
            "fixtures/cross_file/src/db.rs open_tx",
            "fixtures/cross_file/src/service.rs AccountService::conn",
            "fixtures/cross_file/src/service.rs AccountService::tx_with_retry",
        ]
    );
    let wrapper = &doc["findings"][3];
    assert_eq!(
        wrapper["related"][0]["message"],
        "transaction comes from `open_tx`, which lets it escape"
    );
}

#[test]
fn bad_files_are_errors_with_exit_2_and_the_rest_is_still_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a_escapes.rs", ESCAPES);
    // A broken file that uses the database: the prefilter lets it through, so it is parsed.
    write(
        dir.path(),
        "src/b_broken.rs",
        "fn broken(pool: &sqlx::PgPool) {\n    let x = \n}\n",
    );
    write(dir.path(), "src/c_latin1.rs", b"// caf\xe9\nfn f() {}\n");
    write(dir.path(), "src/d_fine.rs", "fn fine() -> u32 { 1 }\n");
    insta::assert_snapshot!(transcript(dir.path(), &["check", "src"]));

    let (code, stdout, _) = run_in(dir.path(), &["check", "--format", "json", "src"]);
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(doc["summary"]["errors"], 2);
    assert_eq!(doc["summary"]["files_checked"], 2);
    assert_eq!(doc["errors"][0]["path"], "src/b_broken.rs");
    assert_eq!(
        doc["errors"][0]["message"],
        "unexpected end of input, expected an expression at line 3 column 1"
    );
    assert_eq!(doc["errors"][1]["path"], "src/c_latin1.rs");
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_is_an_error_naming_it_and_the_rest_is_still_checked() {
    // A symlink loop cannot be read even by root, unlike a file without read permission.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    std::os::unix::fs::symlink("loop.rs", dir.path().join("src/loop.rs")).unwrap();
    let (code, stdout, _) = run_in(
        dir.path(),
        &["check", "--format", "json", "src/loop.rs", "src/escapes.rs"],
    );
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["errors"][0]["path"], "src/loop.rs");
    assert_eq!(
        doc["errors"][0]["message"],
        "too many levels of symbolic links"
    );
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(doc["summary"]["files_checked"], 1);
}

#[test]
fn a_missing_path_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(transcript(dir.path(), &["check", "no/such/dir"]));
}

#[test]
fn bad_arguments_are_exit_2() {
    let (code, _, stderr) = run_in(&repo(), &["check", "--format", "yaml"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid value 'yaml'"), "{stderr}");
}

#[test]
fn walking_skips_target_hidden_and_test_directories_but_not_named_files() {
    let dir = tempfile::tempdir().unwrap();
    for rel in [
        "target/debug/build/gen.rs",
        ".git/hooks/x.rs",
        "tests/helpers.rs",
        "benches/b.rs",
        "examples/e.rs",
        "src/not_rust.txt",
    ] {
        write(dir.path(), rel, ESCAPES);
    }
    write(dir.path(), "src/lib.rs", "pub fn f() {}\n");
    let (code, _, stderr) = run_in(dir.path(), &["check"]);
    assert_eq!(
        (code, stderr.trim()),
        (0, "scoped-db: no findings; 1 file checked")
    );

    let (code, stdout, _) = run_in(
        dir.path(),
        &["check", "--include-tests", "--format", "json"],
    );
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let paths = pluck(&doc, &["path"]);
    assert_eq!(
        paths,
        ["./benches/b.rs", "./examples/e.rs", "./tests/helpers.rs"]
    );

    let (code, _, _) = run_in(dir.path(), &["check", ".git/hooks/x.rs"]);
    assert_eq!(
        code, 1,
        "a file named on the command line is always checked"
    );
}

#[test]
fn the_checker_never_writes_to_what_it_checks() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    let before = std::fs::metadata(dir.path().join("src/escapes.rs"))
        .unwrap()
        .modified()
        .unwrap();
    let (code, _, _) = run_in(dir.path(), &["check", "src"]);
    assert_eq!(code, 1);
    let after = std::fs::metadata(dir.path().join("src/escapes.rs"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/escapes.rs")).unwrap(),
        ESCAPES
    );
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("src")).unwrap().collect();
    assert_eq!(
        entries.len(),
        1,
        "no files were created next to the sources"
    );
}

#[test]
fn hostile_nesting_is_an_error_and_deep_but_legal_nesting_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a_escapes.rs", ESCAPES);
    let nested = |n: usize| format!("fn f() -> i32 {{ {}1{} }}\n", "(".repeat(n), ")".repeat(n));
    write(dir.path(), "src/b_deep_ok.rs", nested(900));
    write(dir.path(), "src/c_hostile.rs", nested(200_000));
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &["check", "--format", "json", "--no-prefilter", "src"],
    );
    assert_eq!(code, 2, "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["summary"]["files_checked"], 2);
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(doc["errors"][0]["path"], "src/c_hostile.rs");
    assert_eq!(
        doc["errors"][0]["message"],
        "delimiters nest too deep to check (depth 200001; the limit is 1000)"
    );
}

#[test]
fn the_python_seed_is_reported_with_the_wrappers_pointing_at_their_source() {
    insta::assert_snapshot!(transcript(
        &repo(),
        &["check", "fixtures/python/seed/before"]
    ));
    let (code, stdout, _) = run_in(
        &repo(),
        &["check", "--format", "json", "fixtures/python/seed"],
    );
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let before = "fixtures/python/seed/before/chatter/utils/database.py";
    let from = "connection comes from `DatabaseManager._attempt_connection`, which lets it escape";
    assert_eq!(
        pluck(&doc, &["path", "function", "/related/0/message"]),
        [
            format!(
                "{before} DatabaseManager._attempt_connection connection bound here; the block closes it on exit"
            ),
            format!("{before} DatabaseManager.get_connection_with_retry {from}"),
            format!("{before} DatabaseManager.get_connection_with_timeout {from}"),
        ],
        "the fixed module beside it reports nothing"
    );
}

#[test]
fn a_python_syntax_error_names_file_and_position_and_the_rest_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/a_escapes.rs", ESCAPES);
    // It uses the database, so the prefilter lets it through and it is parsed.
    write(
        dir.path(),
        "app/b_broken.py",
        "def f(:\n    return psycopg.connect()\n",
    );
    write(
        dir.path(),
        "app/c_leak.py",
        "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\ndef leak():\n    with engine.connect() as conn:\n        return conn\n",
    );
    write(
        dir.path(),
        "app/test_skipped.py",
        "def test_x():\n    pass\n",
    );
    let (code, stdout, _) = run_in(dir.path(), &["check", "--format", "json", "app"]);
    assert_eq!(code, 2);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["errors"][0]["path"], "app/b_broken.py");
    let message = doc["errors"][0]["message"].as_str().unwrap();
    assert!(message.ends_with("at line 1 column 7"), "{message}");
    assert_eq!(doc["summary"]["findings"], 2);
    assert_eq!(doc["summary"]["files_checked"], 2, "test_*.py is skipped");
}

#[test]
fn rules_lists_every_rule_and_explain_prints_each_ones_docs() {
    insta::assert_snapshot!(transcript(&repo(), &["rules"]));
    for name in [
        "SDB001",
        "stored-handle",
        "leaked_handle",
        "sdb004",
        "unfinished-transaction",
    ] {
        let (code, stdout, _) = run_in(&repo(), &["explain", name]);
        assert_eq!(code, 0, "{name}");
        for section in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "Use instead:",
            "## Library notes",
        ] {
            assert!(stdout.contains(section), "{name} lacks {section}");
        }
    }
    let (code, stdout, _) = run_in(&repo(), &["explain", "SDB003"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("# SDB003 leaked-handle\n"), "{stdout}");
    let (code, _, stderr) = run_in(&repo(), &["explain", "SDB999"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule `SDB999`"), "{stderr}");
}

const UNFINISHED: &str = "use sqlx::PgPool;\n\
    pub async fn touch(pool: &PgPool) -> sqlx::Result<()> {\n\
    \x20   let mut tx = pool.begin().await?;\n\
    \x20   sqlx::query(\"UPDATE t SET n = n + 1\").execute(&mut *tx).await?;\n\
    \x20   Ok(())\n\
    }\n";

fn rules_found(doc: &serde_json::Value) -> Vec<String> {
    pluck(doc, &["rule", "severity"])
}

#[test]
fn configuration_sets_severities_excludes_and_the_projects_own_pools() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", UNFINISHED);
    write(dir.path(), "src/b.rs", ESCAPES);
    write(dir.path(), "generated/c.rs", ESCAPES);
    write(
        dir.path(),
        "src/broker.rs",
        "pub struct Lease { id: u64 }\npub struct Broker;\npub struct Leases { broker: Broker }\n\
         impl Leases {\n    pub fn lease(&self) -> Lease {\n        let l = self.broker.checkout();\n        l\n    }\n}\n",
    );
    let (code, doc) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    // generated/c.rs, src/a.rs, src/b.rs; the broker's lease is no handle yet.
    assert_eq!(
        rules_found(&doc),
        ["SDB001 error", "SDB004 warning", "SDB001 error"]
    );

    write(
        dir.path(),
        "scoped-db.toml",
        "exclude = [\"generated/**\"]\nhandles = [\"Lease\"]\n\n[[pools]]\ntype = \"Broker\"\nmethods = [\"checkout\"]\n\n[rules]\nunfinished-transaction = \"error\"\nSDB001 = \"warning\"\n",
    );
    let (code, doc) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_found(&doc),
        ["SDB004 error", "SDB001 warning", "SDB001 warning"]
    );
    assert_eq!(doc["findings"][2]["function"], "Leases::lease");

    // A provider named in the configuration is not reported; a caller returning its lease is.
    write(
        dir.path(),
        "src/caller.rs",
        "use crate::broker::{Lease, Leases};\npub fn pass_on(l: &Leases) -> Lease {\n    l.lease()\n}\n",
    );
    write(
        dir.path(),
        "scoped-db.toml",
        "exclude = [\"generated/**\"]\nhandles = [\"Lease\"]\nproviders = [\"Leases::lease\"]\n\n[[pools]]\ntype = \"Broker\"\nmethods = [\"checkout\"]\n",
    );
    let (_, doc) = json(dir.path(), &["--select", "SDB001"]);
    let functions = pluck(&doc, &["function"]);
    assert_eq!(functions, ["conn", "pass_on"]);
    std::fs::remove_file(dir.path().join("src/caller.rs")).unwrap();

    // Only warnings left, and the run fails on errors only.
    write(
        dir.path(),
        "scoped-db.toml",
        "fail-on = \"error\"\n[rules]\nSDB004 = \"off\"\nescaped-handle = \"warning\"\n",
    );
    let (code, doc) = json(dir.path(), &[]);
    assert_eq!((code, rules_found(&doc).len()), (0, 2));
    let (code, _) = json(dir.path(), &["--fail-on", "warning"]);
    assert_eq!(code, 1);
}

#[test]
fn cargo_metadata_is_read_when_there_is_no_scoped_db_toml() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", UNFINISHED);
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[package.metadata.scoped-db.rules]\nSDB004 = \"off\"\n",
    );
    let (code, doc) = json(dir.path(), &["src"]);
    assert_eq!((code, rules_found(&doc).len()), (0, 0));
}

#[test]
fn a_bad_configuration_is_exit_2_pointing_at_the_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", ESCAPES);
    write(
        dir.path(),
        "scoped-db.toml",
        "include-tests = true\nexclued = [\"x\"]\n",
    );
    insta::assert_snapshot!("unknown_key", transcript(dir.path(), &["check", "src"]));
    write(dir.path(), "scoped-db.toml", "[rules]\nSDB099 = \"off\"\n");
    insta::assert_snapshot!("unknown_rule", transcript(dir.path(), &["check", "src"]));
    write(dir.path(), "scoped-db.toml", "exclude = [\"src/[a\"]\n");
    let (code, _, stderr) = run_in(dir.path(), &["check", "src"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid glob"), "{stderr}");
    write(
        dir.path(),
        "scoped-db.toml",
        "[rules]\nSDB001 = \"fatal\"\n",
    );
    let (code, _, stderr) = run_in(dir.path(), &["check", "src"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid severity `fatal`"), "{stderr}");
    let (code, _, stderr) = run_in(dir.path(), &["check", "--config", "missing.toml", "src"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read configuration missing.toml"),
        "{stderr}"
    );
}

#[test]
fn select_and_ignore_pick_rules_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", UNFINISHED);
    write(dir.path(), "src/b.rs", ESCAPES);
    let (_, doc) = json(dir.path(), &["--select", "SDB004"]);
    assert_eq!(rules_found(&doc), ["SDB004 warning"]);
    let (_, doc) = json(
        dir.path(),
        &["--ignore", "unfinished-transaction,stored_handle"],
    );
    assert_eq!(rules_found(&doc), ["SDB001 error"]);
    let (code, _, stderr) = run_in(dir.path(), &["check", "--select", "SDB042"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown rule `SDB042`"), "{stderr}");
}

#[test]
fn comments_suppress_a_function_or_a_line_and_unused_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/a.rs",
        "use sqlx::PgPool;\n\
         // scoped-db: allow(escaped-handle) handed to the migration runner, which returns it\n\
         /// Docs.\n\
         pub async fn conn(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
         \x20   pool.acquire().await\n\
         }\n\
         pub async fn touch(pool: &PgPool) -> sqlx::Result<()> {\n\
         \x20   // scoped-db: allow(SDB004) rolled back on purpose: a dry run\n\
         \x20   let tx = pool.begin().await?;\n\
         \x20   Ok(())\n\
         }\n\
         // scoped-db: allow(SDB003, not-a-rule)\n\
         pub fn fine() {}\n",
    );
    write(
        dir.path(),
        "src/b.py",
        "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\n\
         def leak():\n    with engine.connect() as conn:\n        return conn  # scoped-db: allow(SDB001)\n",
    );
    let (code, doc) = json(dir.path(), &[]);
    assert_eq!((code, rules_found(&doc).len()), (0, 0), "{doc}");
    assert!(doc.get("unused_suppressions").is_none());
    let (code, doc) = json(dir.path(), &["--report-unused-suppressions"]);
    assert_eq!(code, 1);
    assert_eq!(
        doc["unused_suppressions"],
        serde_json::json!([{ "path": "./src/a.rs", "line": 12, "column": 1, "rules": ["SDB003", "not-a-rule"] }])
    );
    insta::assert_snapshot!(transcript(
        dir.path(),
        &["check", "--report-unused-suppressions", "src"]
    ));
}

#[test]
fn a_fixture_with_its_own_configuration_reports_the_projects_own_pool() {
    // fixtures/custom_pool/scoped-db.toml declares the pool, the handle and a provider.
    let (code, doc) = json(&repo(), &["fixtures/custom_pool"]);
    assert_eq!(code, 1);
    let found = pluck(&doc, &["rule", "function"]);
    assert_eq!(
        found,
        [
            "SDB001 Worker::lease_for_caller",
            "SDB001 Worker::lease_direct",
            "SDB002 Worker::park",
            "SDB003 leak_lease"
        ]
    );
    // Without it, the lease is just a struct.
    let (code, doc) = json(&repo(), &["--config", "Cargo.toml", "fixtures/custom_pool"]);
    assert_eq!((code, doc["summary"]["findings"].as_u64()), (0, Some(0)));
}

#[test]
fn findings_are_sorted_by_path_whatever_the_argument_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/b.rs", ESCAPES);
    write(dir.path(), "src/a.rs", ESCAPES);
    write(dir.path(), "src/a/inner.rs", ESCAPES);
    let (_, doc) = json(dir.path(), &["src/b.rs", "src"]);
    let paths = pluck(&doc, &["path"]);
    assert_eq!(paths, ["src/a.rs", "src/a/inner.rs", "src/b.rs"]);
}

#[test]
fn each_project_of_a_monorepo_uses_its_own_configuration() {
    let dir = tempfile::tempdir().unwrap();
    // Project `a` turns SDB001 off; project `b` has no configuration; `c`'s is broken.
    write(
        dir.path(),
        "a/scoped-db.toml",
        "[rules]\nSDB001 = \"off\"\n",
    );
    write(dir.path(), "a/src/db.rs", ESCAPES);
    write(dir.path(), "b/src/db.rs", ESCAPES);
    write(dir.path(), "c/scoped-db.toml", "no-such-key = 1\n");
    write(dir.path(), "c/src/db.rs", ESCAPES);
    let (code, doc) = json(dir.path(), &["."]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(
        pluck(&doc, &["path", "rule"]),
        ["./b/src/db.rs SDB001", "./c/src/db.rs SDB001"]
    );
    let errors = doc["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{doc}");
    assert_eq!(errors[0]["path"], "./c/scoped-db.toml");
    // The same project checked on its own finds the same.
    let (code, doc) = json(dir.path(), &["a"]);
    assert_eq!((code, doc["summary"]["findings"].as_u64()), (0, Some(0)));
}

#[test]
fn the_fixtures_checked_together_find_what_each_finds_alone() {
    // fixtures/custom_pool brings its own configuration; checked from `fixtures/`, it applies.
    let (_, alone) = json(&repo(), &["fixtures/custom_pool"]);
    let (_, together) = json(&repo(), &["fixtures"]);
    let in_custom_pool = |doc: &serde_json::Value| -> Vec<String> {
        pluck(doc, &["path", "rule", "function"])
            .into_iter()
            .filter(|f| f.starts_with("fixtures/custom_pool/"))
            .collect()
    };
    assert_eq!(in_custom_pool(&alone).len(), 4);
    assert_eq!(in_custom_pool(&alone), in_custom_pool(&together));
}

#[test]
fn files_that_cannot_matter_are_not_parsed_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a_escapes.rs", ESCAPES);
    // Names nothing a database handle could come from: never parsed, so its syntax error is not
    // this checker's to report.
    write(
        dir.path(),
        "src/b_broken_math.rs",
        "fn add(a: u32) -> u32 {\n    a +\n",
    );
    let (code, doc) = json(dir.path(), &["src"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["summary"]["files_checked"], 2);
    assert_eq!(doc["summary"]["errors"], 0);
    let (code, doc) = json(dir.path(), &["--no-prefilter", "src"]);
    assert_eq!(code, 2, "{doc}");
    assert_eq!(doc["errors"][0]["path"], "src/b_broken_math.rs");
    assert_eq!(doc["summary"]["findings"], 1);
}

#[test]
fn version_names_the_release_and_the_commit_it_was_built_from() {
    let (code, stdout, _) = run_in(&repo(), &["--version"]);
    assert_eq!(code, 0);
    let version = stdout
        .strip_prefix(concat!("scoped-db ", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{stdout}"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|out| out.status.success());
    match head {
        // Built from this checkout: the commit checked out.
        Some(out) => {
            let head = String::from_utf8(out.stdout).unwrap();
            let rev = version
                .strip_prefix(" (rev ")
                .and_then(|rest| rest.strip_suffix(")\n"))
                .unwrap_or_else(|| panic!("{stdout}"));
            assert!(rev.len() == 10 && head.starts_with(rev), "{rev} vs {head}");
        }
        None => assert_eq!(version, "\n"),
    }
}

/// Projects checked in one run are checked as if one at a time: an import in one never resolves
/// into another (here `app.db` exists only in the first project, and the second's import of it
/// would otherwise be resolved there, the only module of that name in the run), and a Rust crate
/// sees only the crates its manifest names. The same findings, in one run or several.
#[test]
fn projects_in_one_run_do_not_see_each_other() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "first/pyproject.toml",
        "[project]\nname = \"first\"\n",
    );
    write(dir.path(), "first/app/__init__.py", "");
    write(
        dir.path(),
        "first/app/db.py",
        "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\n\ndef lease():\n    with engine.connect() as conn:\n        return conn\n",
    );
    write(
        dir.path(),
        "second/pyproject.toml",
        "[project]\nname = \"second\"\n",
    );
    write(dir.path(), "second/svc/__init__.py", "");
    write(
        dir.path(),
        "second/svc/use.py",
        "import sqlalchemy\nfrom app.db import lease\n\ndef relay():\n    return lease()\n",
    );
    write(
        dir.path(),
        "third/Cargo.toml",
        "[package]\nname = \"third\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(dir.path(), "third/src/lib.rs", ESCAPES);
    let short = |args: &[&str]| {
        let (_, stdout, stderr) = run_in(dir.path(), args);
        assert!(!stderr.contains("error"), "{stderr}");
        let mut lines: Vec<String> = stdout.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let together = short(&["check", "--format", "short", "first", "second", "third"]);
    let mut alone = Vec::new();
    for project in ["first", "second", "third"] {
        alone.extend(short(&["check", "--format", "short", project]));
    }
    alone.sort();
    assert_eq!(together, alone);
    assert!(
        together.iter().any(|l| l.starts_with("first/app/db.py:6")),
        "{together:#?}"
    );
    assert!(
        !together.iter().any(|l| l.starts_with("second/")),
        "{together:#?}"
    );
    // A directory that holds them all, with no project of its own, is the same three projects.
    let whole: Vec<String> = short(&["check", "--format", "short", "."])
        .iter()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect();
    assert_eq!(whole, together);
}

/// `--statistics` counts the findings per rule: for people a table instead of the findings (most
/// found first), in JSON the counts in the summary beside the findings; `concise` and `full` are
/// ruff's names for `short` and `human`.
#[test]
fn statistics_count_findings_per_rule_and_ruffs_format_names_are_understood() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.rs", ESCAPES);
    write(
        dir.path(),
        "src/b.rs",
        ESCAPES.replace("fn conn(", "fn other_conn("),
    );
    write(
        dir.path(),
        "app/keep.py",
        "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\nCACHE = []\n\ndef keep():\n    with engine.connect() as conn:\n        CACHE.append(conn)\n",
    );
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "--statistics", "src", "app"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stdout,
        "2  SDB001  escaped-handle\n1  SDB002  stored-handle\n"
    );
    assert!(stderr.contains("3 findings in 3 files"), "{stderr}");
    let (_, concise, _) = run_in(
        dir.path(),
        &["check", "--statistics", "--format", "concise", "src", "app"],
    );
    assert_eq!(concise, stdout);
    let (_, stdout, _) = run_in(
        dir.path(),
        &["check", "--statistics", "--format", "json", "src", "app"],
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 3);
    assert_eq!(
        doc["summary"]["statistics"],
        serde_json::json!([
            {"rule": "SDB001", "name": "escaped-handle", "count": 2},
            {"rule": "SDB002", "name": "stored-handle", "count": 1}
        ])
    );
    // Without the flag the summary is what it was.
    let (_, stdout, _) = run_in(dir.path(), &["check", "--format", "json", "src", "app"]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(doc["summary"].get("statistics").is_none());
    // ruff's names for the formats.
    let (_, concise, _) = run_in(dir.path(), &["check", "--format", "concise", "src"]);
    let (_, short, _) = run_in(dir.path(), &["check", "--format", "short", "src"]);
    assert_eq!(concise, short);
    let (_, full, _) = run_in(dir.path(), &["check", "--format", "full", "src"]);
    let (_, human, _) = run_in(dir.path(), &["check", "--format", "human", "src"]);
    assert_eq!(full, human);
}

/// Files named on the command line are checked even when the configuration excludes them (as
/// ruff does), unless `--force-exclude`: then the excludes apply to them, and to what they are
/// in, as pre-commit's hooks need (pre-commit names every staged file).
#[test]
fn force_exclude_applies_the_excludes_to_files_named_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "scoped-db.toml",
        "exclude = [\"generated\", \"legacy_*.rs\"]\n",
    );
    write(dir.path(), "generated/db.rs", ESCAPES);
    write(dir.path(), "src/legacy_db.rs", ESCAPES);
    write(dir.path(), "src/db.rs", ESCAPES);
    let files = ["generated/db.rs", "src/db.rs", "src/legacy_db.rs"];
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "short"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&files);
        let (code, stdout, stderr) = run_in(dir.path(), &args);
        let mut paths: Vec<String> = stdout
            .lines()
            .map(|l| l.split(':').next().unwrap().to_string())
            .collect();
        paths.dedup();
        (code, paths, stderr)
    };
    let (code, named, _) = run(&[]);
    assert_eq!((code, named), (1, files.map(String::from).to_vec()));
    let (code, forced, stderr) = run(&["--force-exclude"]);
    assert_eq!(
        (code, forced),
        (1, vec!["src/db.rs".to_string()]),
        "{stderr}"
    );
    assert!(stderr.contains("1 file checked"), "{stderr}");
    // Every file named is excluded: nothing to check, and that is not an error.
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &["check", "--force-exclude", "generated/db.rs", "generated"],
    );
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    // The walk of a directory is as it was.
    let (_, walked, _) = run_in(
        dir.path(),
        &["check", "--format", "short", "--force-exclude", "."],
    );
    assert!(
        walked
            .lines()
            .all(|l| l.starts_with("./src/db.rs") || l.starts_with("src/db.rs")),
        "{walked}"
    );
}

/// flake8's and ruff's `# noqa` in Python: scoped-db's codes or names silence those rules on their
/// line, beside other tools' codes; a bare `# noqa` silences every finding on its line. The unused
/// report names scoped-db's codes (an unknown `SDB` code too) and never another tool's, nor a bare
/// `# noqa`, which may be another tool's.
#[test]
fn noqa_silences_scoped_db_findings_on_its_line_and_leaves_other_tools_codes_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app/db.py",
        "from sqlalchemy import create_engine\n\
         engine = create_engine('sqlite://')\n\n\
         def a():\n    with engine.connect() as conn:\n        return conn  # noqa: E501, SDB001\n\n\
         def b():\n    with engine.connect() as conn:\n        return conn  # NOQA\n\n\
         def c():\n    with engine.connect() as conn:\n        return conn  # noqa: stored-handle\n\n\
         def d():\n    with engine.connect() as conn:\n        return conn  # noqa: F401\n\n\
         def e():\n    return 1  # noqa: SDB003, SDB999, E501\n\n\
         def f():\n    return 2  # noqa\n",
    );
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "short",
            "--report-unused-suppressions",
            "app",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        4,
        "c and d are reported; the noqa of c (stored-handle) and of e are unused: {stdout}"
    );
    assert!(lines[0].starts_with("app/db.py:14:16: SDB001"), "{stdout}");
    assert!(lines[1].starts_with("app/db.py:18:16: SDB001"), "{stdout}");
    assert!(
        lines[2].starts_with("app/db.py:14:22: unused-suppression"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("app/db.py:21:15: unused-suppression"),
        "{stdout}"
    );
    assert!(
        lines[3].contains("SDB003") && lines[3].contains("SDB999"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("E501") && !stdout.contains("F401"),
        "{stdout}"
    );
}

/// `[tool.scoped-db]` in `pyproject.toml`, where every Python tool's configuration goes: the same
/// keys as `scoped-db.toml`, found the same way; a `pyproject.toml` without the table is passed
/// over; beside a `scoped-db.toml`, the `scoped-db.toml` wins; a bad key or a file that is not TOML
/// is an error that names the file, the table and the key.
#[test]
fn pyproject_toml_configures_a_python_project() {
    let dir = tempfile::tempdir().unwrap();
    let module = "from sqlalchemy import create_engine\nengine = create_engine('sqlite://')\nCACHE = []\n\n\
        def leak():\n    with engine.connect() as conn:\n        return conn\n\n\
        def keep():\n    with engine.connect() as conn:\n        CACHE.append(conn)\n";
    write(dir.path(), "svc/app/db.py", module);
    write(dir.path(), "svc/legacy/db.py", module);
    write(
        dir.path(),
        "svc/pyproject.toml",
        "[project]\nname = \"svc\"\n\n[tool.ruff]\nline-length = 100\n\n\
         [tool.scoped-db]\nextend-exclude = [\"legacy\"]\n\n[tool.scoped-db.rules]\nescaped-handle = \"off\"\n",
    );
    let codes = |args: &[&str]| {
        let (code, stdout, stderr) = run_in(dir.path(), args);
        let found: Vec<String> = stdout
            .lines()
            .map(|l| {
                let mut parts = l.split(' ');
                let at = parts.next().unwrap_or("");
                format!("{at} {}", parts.next().unwrap_or(""))
            })
            .collect();
        (code, found, stderr)
    };
    let (code, found, stderr) = codes(&["check", "--format", "short", "svc"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(found, ["svc/app/db.py:11:22: SDB002"]);

    // A `pyproject.toml` without the table is not scoped-db's: the configuration above applies.
    write(
        dir.path(),
        "scoped-db.toml",
        "[rules]\nstored-handle = \"off\"\n",
    );
    write(
        dir.path(),
        "svc/pyproject.toml",
        "[project]\nname = \"svc\"\n",
    );
    let (_, found, _) = codes(&["check", "--format", "short", "svc/app"]);
    assert_eq!(found, ["svc/app/db.py:7:16: SDB001"]);

    // Beside a `scoped-db.toml`, the `scoped-db.toml` wins.
    write(
        dir.path(),
        "svc/scoped-db.toml",
        "[rules]\nSDB002 = \"off\"\nSDB001 = \"off\"\n",
    );
    write(
        dir.path(),
        "svc/pyproject.toml",
        "[tool.scoped-db.rules]\nSDB002 = \"error\"\n",
    );
    let (code, found, _) = codes(&["check", "--format", "short", "svc/app"]);
    assert_eq!((code, found), (0, Vec::<String>::new()));
    std::fs::remove_file(dir.path().join("svc/scoped-db.toml")).unwrap();

    // A bad key: the file, the table and the key.
    write(
        dir.path(),
        "svc/pyproject.toml",
        "[project]\nname = \"svc\"\n\n[tool.scoped-db]\nexclude-dirs = [\"legacy\"]\n",
    );
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "svc"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.contains("pyproject.toml")
            && stderr.contains("[tool.scoped-db]")
            && stderr.contains("unknown field `exclude-dirs`"),
        "{stderr}"
    );
    // Not TOML at all, with the table opened: where it breaks.
    write(
        dir.path(),
        "svc/pyproject.toml",
        "[tool.scoped-db\nexclude = 1\n",
    );
    let (code, _, stderr) = run_in(dir.path(), &["check", "svc"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("pyproject.toml:1:16"), "{stderr}");
    // Not TOML, and nothing of scoped-db's in it: passed over.
    write(dir.path(), "svc/pyproject.toml", "[project\nname = \n");
    let (code, _, stderr) = run_in(dir.path(), &["check", "svc/app"]);
    assert_eq!(code, 1, "{stderr}");
}

const POOL_REUSE_RS: &str = "use sqlx::PgPool;\n\
    pub async fn transfer(pool: &PgPool) -> sqlx::Result<()> {\n\
    \x20   let mut tx = pool.begin().await?;\n\
    \x20   sqlx::query(\"UPDATE a SET n = n - 1\").execute(&mut *tx).await?;\n\
    \x20   sqlx::query(\"UPDATE a SET n = n + 1\").execute(pool).await?;\n\
    \x20   tx.commit().await\n\
    }\n\
    pub async fn report(pool: &PgPool) -> sqlx::Result<()> {\n\
    \x20   let mut conn = pool.acquire().await?;\n\
    \x20   let mut other = pool.acquire().await?;\n\
    \x20   sqlx::query(\"SELECT 1\").execute(&mut *conn).await?;\n\
    \x20   sqlx::query(\"SELECT 2\").execute(&mut *other).await?;\n\
    \x20   Ok(())\n\
    }\n";

const POOL_REUSE_PY: &str = "import asyncpg\n\n\
    async def report(pool: asyncpg.Pool) -> int:\n\
    \x20   async with pool.acquire() as conn:\n\
    \x20       async with pool.acquire() as other:\n\
    \x20           return await conn.fetchval('SELECT 1') + await other.fetchval('SELECT 2')\n";

/// SDB006 and SDB007 behave as every rule does: configured severities, `off`, comments and every
/// output format.
#[test]
fn the_pool_rules_are_configured_suppressed_and_rendered_like_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", POOL_REUSE_RS);
    write(dir.path(), "app/db.py", POOL_REUSE_PY);
    let (code, doc) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_found(&doc),
        ["SDB007 warning", "SDB006 error", "SDB007 warning"],
        "{doc}"
    );

    write(
        dir.path(),
        "scoped-db.toml",
        "[rules]\nnested-acquire = \"error\"\nSDB006 = \"off\"\n",
    );
    let (_, doc) = json(dir.path(), &[]);
    assert_eq!(rules_found(&doc), ["SDB007 error", "SDB007 error"]);
    std::fs::remove_file(dir.path().join("scoped-db.toml")).unwrap();

    // Comments name the new rules by code or name, in both languages.
    write(
        dir.path(),
        "src/lib.rs",
        POOL_REUSE_RS
            .replace(
                "    sqlx::query(\"UPDATE a SET n = n + 1\")",
                "    // scoped-db: allow(bypassed-transaction) the audit row must survive a rollback\n    sqlx::query(\"UPDATE a SET n = n + 1\")",
            )
            .replace(
                "pub async fn report",
                "// scoped-db: allow(SDB007) a pool of its own size, sized for two\npub async fn report",
            ),
    );
    write(
        dir.path(),
        "app/db.py",
        POOL_REUSE_PY.replace("as other:", "as other:  # noqa: SDB007"),
    );
    let (code, doc) = json(dir.path(), &["--report-unused-suppressions"]);
    assert_eq!((code, rules_found(&doc).len()), (0, 0), "{doc}");

    // Every format carries them.
    write(dir.path(), "src/lib.rs", POOL_REUSE_RS);
    for (format, needle) in [
        ("sarif", "\"ruleId\": \"SDB006\""),
        ("github", "title=SDB006"),
        ("gitlab", "SDB007"),
        ("short", "SDB006 statement runs on `pool` itself"),
    ] {
        let (code, stdout, _) = run_in(dir.path(), &["check", "--format", format, "."]);
        assert_eq!(code, 1, "{format}");
        assert!(stdout.contains(needle), "{format}: {stdout}");
    }
}

const HELD_ACROSS_IO_RS: &str = "use sqlx::PgPool;\n\
    pub async fn publish(pool: &PgPool, url: &str) -> sqlx::Result<()> {\n\
    \x20   let mut tx = pool.begin().await?;\n\
    \x20   sqlx::query(\"UPDATE posts SET published = true\").execute(&mut *tx).await?;\n\
    \x20   let _ = reqwest::get(url).await;\n\
    \x20   tx.commit().await?;\n\
    \x20   Ok(())\n\
    }\n";

const SHARED_SESSION_PY: &str = "import asyncio\n\n\
    from sqlalchemy.ext.asyncio import AsyncSession\n\n\n\
    async def count(session: AsyncSession, n):\n\
    \x20   return await session.scalar(n)\n\n\n\
    async def both(session: AsyncSession):\n\
    \x20   return await asyncio.gather(count(session, 1), count(session, 2))\n";

/// SDB008 and SDB009 go through every door a rule has: severity by code or name, suppression by
/// comment, and every output format.
#[test]
fn the_task_and_io_rules_are_configured_suppressed_and_rendered_like_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/lib.rs", HELD_ACROSS_IO_RS);
    write(dir.path(), "app/jobs.py", SHARED_SESSION_PY);
    let (code, doc) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_found(&doc),
        ["SDB008 error", "SDB009 warning"],
        "{doc}"
    );

    write(
        dir.path(),
        "scoped-db.toml",
        "[rules]\nheld-across-io = \"error\"\nSDB008 = \"warning\"\n",
    );
    let (_, doc) = json(dir.path(), &[]);
    assert_eq!(rules_found(&doc), ["SDB008 warning", "SDB009 error"]);
    std::fs::remove_file(dir.path().join("scoped-db.toml")).unwrap();

    write(
        dir.path(),
        "src/lib.rs",
        HELD_ACROSS_IO_RS.replace(
            "    let _ = reqwest::get",
            "    // scoped-db: allow(held-across-io) the hook must see the row locked\n    let _ = reqwest::get",
        ),
    );
    write(
        dir.path(),
        "app/jobs.py",
        SHARED_SESSION_PY.replace("count(session, 2))", "count(session, 2))  # noqa: SDB008"),
    );
    let (code, doc) = json(dir.path(), &["--report-unused-suppressions"]);
    assert_eq!((code, rules_found(&doc).len()), (0, 0), "{doc}");

    write(dir.path(), "src/lib.rs", HELD_ACROSS_IO_RS);
    write(dir.path(), "app/jobs.py", SHARED_SESSION_PY);
    for (format, needle) in [
        ("sarif", "\"ruleId\": \"SDB009\""),
        ("github", "title=SDB008"),
        ("gitlab", "SDB009"),
        ("short", "SDB009 `reqwest::get` is waited on"),
        ("human", "shared-across-tasks"),
    ] {
        let (code, stdout, _) = run_in(dir.path(), &["check", "--format", format, "."]);
        assert_eq!(code, 1, "{format}");
        assert!(stdout.contains(needle), "{format}: {stdout}");
    }
}
