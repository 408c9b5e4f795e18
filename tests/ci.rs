//! The CI door, end to end through the built binary: every output format, git-aware discovery,
//! excludes, standard input, the baseline, `--output-file` and the exit statuses.

mod common;

use std::path::Path;

use common::*;

/// A tree with a Rust finding (with a related location), a Python finding and a broken file.
fn mixed_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    write(dir.path(), "app/db.py", PY_ESCAPES);
    // A file that names a database crate but does not parse (one that names none is never parsed).
    write(
        dir.path(),
        "src/broken.rs",
        "use sqlx::PgPool;\nfn ok( {}\n",
    );
    dir
}

fn sarif(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend_from_slice(args);
    let (_, stdout, stderr) = run_in(dir, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"))
}

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join("tests/data/sarif-2.1.0-rtm.5.json")).unwrap();
    let mut schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    // The schema's `language` patterns (of `run` and `toolComponent`) have a stray `]`
    // (`..[a-zA-Z]{2}]?$`) that the meta-schema's `regex` format rejects; scoped-db never writes
    // `language`, so those patterns are dropped here rather than in the vendored file.
    for owner in ["run", "toolComponent"] {
        let language = schema
            .pointer_mut(&format!("/definitions/{owner}/properties/language"))
            .expect("the schema describes language");
        language.as_object_mut().unwrap().remove("pattern");
    }
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_is_valid_against_the_official_schema_with_rules_locations_and_notifications() {
    let dir = mixed_tree();
    let doc = sarif(dir.path(), &[]);
    let validator = schema();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is strict enough to reject a broken log.
    let mut broken = doc.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));

    let run = &doc["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "SDB001", "SDB002", "SDB003", "SDB004", "SDB005", "SDB006", "SDB007", "SDB008",
            "SDB009"
        ]
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    // GitHub's heading anchors: lowercase, spaces to `-`, punctuation dropped.
    let anchors: Vec<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(|h| {
            h.to_lowercase()
                .chars()
                .filter_map(|c| match c {
                    ' ' => Some('-'),
                    c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                    _ => None,
                })
                .collect()
        })
        .collect();
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let uri = rule["helpUri"].as_str().unwrap();
        let anchor = uri.split_once('#').unwrap().1;
        assert!(
            anchors.iter().any(|a| a == anchor),
            "{uri} has no README section"
        );
        for field in [
            "/name",
            "/shortDescription/text",
            "/fullDescription/text",
            "/help/text",
        ] {
            assert!(
                rule.pointer(field)
                    .is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty()))
            );
        }
    }
    let results = run["results"].as_array().unwrap();
    let shown: Vec<String> = results
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            format!(
                "{} {} {}:{}:{} related={} fingerprint={}",
                r["ruleId"].as_str().unwrap(),
                r["level"].as_str().unwrap(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
                region["startLine"],
                region["startColumn"],
                r["relatedLocations"].as_array().map_or(0, Vec::len),
                r["partialFingerprints"]["scopedDbFinding/v1"]
                    .as_str()
                    .unwrap()
                    .len(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            "SDB001 error app/db.py:7:16 related=1 fingerprint=16",
            "SDB001 error src/escapes.rs:3:5 related=1 fingerprint=16",
        ]
    );
    // The rule index points at the rule.
    assert_eq!(results[0]["ruleIndex"], 0);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "src/broken.rs"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
}

#[test]
fn sarif_fingerprints_survive_lines_added_above_and_change_with_the_code() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    let fingerprint = |doc: &serde_json::Value| {
        let r = &doc["runs"][0]["results"][0];
        (
            r["partialFingerprints"]["scopedDbFinding/v1"].clone(),
            r["locations"][0]["physicalLocation"]["region"]["startLine"].clone(),
        )
    };
    let (before, line_before) = fingerprint(&sarif(dir.path(), &[]));
    write(
        dir.path(),
        "src/escapes.rs",
        format!("// a header\n// added later\n\n{ESCAPES}"),
    );
    let (after, line_after) = fingerprint(&sarif(dir.path(), &[]));
    assert_eq!(before, after);
    assert_ne!(line_before, line_after);
    // Another function, another finding.
    write(
        dir.path(),
        "src/escapes.rs",
        ESCAPES.replace("fn conn(", "fn other("),
    );
    let (renamed, _) = fingerprint(&sarif(dir.path(), &[]));
    assert_ne!(before, renamed);
}

/// GitHub's unescaping of a property value.
fn unescape(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_annotations_round_trip_odd_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let name = "src/my dir,v2:100%\nnew.rs";
    write(dir.path(), name, ESCAPES);
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "--format", "github", "src"]);
    assert_eq!(code, 1, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let line = lines[0];
    let rest = line.strip_prefix("::error ").unwrap();
    let (properties, message) = rest.split_once("::").unwrap();
    let properties: Vec<(&str, String)> = properties
        .split(',')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap();
            (k, unescape(v))
        })
        .collect();
    assert_eq!(
        properties,
        [
            ("file", name.to_string()),
            ("line", "3".into()),
            ("col", "5".into()),
            ("endLine", "3".into()),
            ("endColumn", "25".into()),
            ("title", "SDB001 escaped-handle".into()),
        ]
    );
    assert!(message.starts_with("connection escapes the function that acquired it"));
    assert_eq!(stderr, "scoped-db: 1 finding in 1 file; 1 file checked\n");
}

#[test]
fn short_is_one_line_per_finding_and_the_summary_on_stderr() {
    let dir = mixed_tree();
    let (code, stdout, stderr) = run_in(dir.path(), &["check", "--format", "short"]);
    assert_eq!(code, 2);
    assert_eq!(
        stdout,
        "./app/db.py:7:16: SDB001 connection escapes the `with` block that closes it\n\
         ./src/escapes.rs:3:5: SDB001 connection escapes the function that acquired it\n"
    );
    assert!(
        stderr.starts_with("./src/broken.rs:2:6: error: "),
        "{stderr}"
    );
    assert!(stderr.ends_with(
        "scoped-db: 2 findings in 2 files; 2 files checked; 1 file could not be checked\n"
    ));
}

#[test]
fn every_format_on_the_seeds() {
    let seeds = ["fixtures/seed/before", "fixtures/python/seed/before"];
    for format in ["human", "short", "json", "github"] {
        let mut args = vec!["check", "--color", "never", "--format", format];
        args.extend(seeds);
        insta::assert_snapshot!(format!("seeds_{format}"), transcript(&repo(), &args));
    }
    // SARIF without the rules' docs, which `explain` snapshots already show.
    let mut doc = sarif(&repo(), &seeds);
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array_mut()
        .unwrap()
    {
        for long in ["help", "fullDescription"] {
            rule[long] = "(the rule's docs)".into();
        }
    }
    insta::assert_json_snapshot!("seeds_sarif", doc);
}

#[test]
fn short_on_every_fixture() {
    let (_, stdout, _) = run_in(&repo(), &["check", "--format", "short", "fixtures"]);
    insta::assert_snapshot!(stdout);
}

#[test]
fn output_file_holds_the_report_and_is_never_a_checked_file() {
    let dir = mixed_tree();
    let (code, stdout, _) = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--output-file",
            "out/report.json",
            "src",
            "app",
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    let written = std::fs::read_to_string(dir.path().join("out/report.json"));
    // The directory must exist: the report is never half-written somewhere else.
    assert!(written.is_err());
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let (code, stdout, _) = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "-o",
            "out/report.json",
            "src",
            "app",
        ],
    );
    assert_eq!((code, stdout.as_str()), (2, ""));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    assert_eq!(doc["summary"]["findings"], 2);
    // Pointed at a checked file: refused, and the file is untouched.
    let (code, _, stderr) = run_in(
        dir.path(),
        &["check", "--format", "json", "-o", "src/escapes.rs", "src"],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("one of the checked files"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/escapes.rs")).unwrap(),
        ESCAPES
    );
}

#[test]
fn exit_zero_reports_but_passes_and_still_fails_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    let (code, stdout, _) = run_in(dir.path(), &["check", "--exit-zero", "--format", "short"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 1);
    write(
        dir.path(),
        "src/broken.rs",
        "use sqlx::PgPool;\nfn ok( {}\n",
    );
    let (code, _, _) = run_in(dir.path(), &["check", "--exit-zero"]);
    assert_eq!(code, 2);
}

/// The files a run checked: every finding-free file is named by `--report-unused-suppressions`
/// only, so the tree gives each file one finding and this lists where findings are.
fn checked(dir: &Path, args: &[&str]) -> Vec<String> {
    let (_, doc) = json(dir, args);
    let mut paths: Vec<String> = pluck(&doc, &["path"]);
    paths.dedup();
    paths
}

#[test]
fn discovery_honours_gitignore_ignore_and_git_excludes_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git/info")).unwrap();
    write(root, ".git/info/exclude", "local.rs\n");
    write(root, ".gitignore", "generated/\n*.gen.rs\n!keep.gen.rs\n");
    write(root, "svc/.gitignore", "scratch.rs\n");
    write(root, "svc/.ignore", "!scratch.rs\nnoisy.rs\n");
    for file in [
        "src/a.rs",
        "src/local.rs",
        "generated/b.rs",
        "src/c.gen.rs",
        "src/keep.gen.rs",
        "svc/scratch.rs",
        "svc/noisy.rs",
        "svc/d.rs",
    ] {
        write(root, file, ESCAPES);
    }
    assert_eq!(
        checked(root, &["."]),
        [
            "./src/a.rs",
            "./src/keep.gen.rs",
            "./svc/d.rs",
            "./svc/scratch.rs"
        ]
    );
    // A directory walked from inside the repository still honours the root's ignore files.
    assert_eq!(
        checked(&root.join("src"), &["."]),
        ["./a.rs", "./keep.gen.rs"]
    );
    assert_eq!(checked(root, &["--no-ignore", "."]).len(), 8);
    // A file named on the command line is always checked.
    assert_eq!(checked(root, &["generated/b.rs"]), ["generated/b.rs"]);
}

#[test]
fn excludes_come_from_the_configuration_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for file in [
        "src/a.rs",
        "src/gen/b.rs",
        "legacy/c.rs",
        "target/d.rs",
        "vendor/e.rs",
        "crates/x/target/f.rs",
    ] {
        write(root, file, ESCAPES);
    }
    // Defaults skip `target` at any depth; `extend-exclude` adds to them, a directory name covers
    // its files.
    write(root, "scoped-db.toml", "extend-exclude = [\"legacy\"]\n");
    assert_eq!(
        checked(root, &["."]),
        ["./src/a.rs", "./src/gen/b.rs", "./vendor/e.rs"]
    );
    assert_eq!(
        checked(root, &["--exclude", "vendor,src/gen", "."]),
        ["./src/a.rs"]
    );
    // `exclude` replaces the defaults.
    write(root, "scoped-db.toml", "exclude = [\"vendor\"]\n");
    assert_eq!(
        checked(root, &["."]),
        [
            "./crates/x/target/f.rs",
            "./legacy/c.rs",
            "./src/a.rs",
            "./src/gen/b.rs",
            "./target/d.rs"
        ]
    );
    let (code, _, stderr) = run_in(root, &["check", "--exclude", "src/[", "."]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("invalid glob `src/[` in --exclude"),
        "{stderr}"
    );
}

#[test]
fn symbolic_links_are_followed_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "real/a.rs", ESCAPES);
    std::fs::create_dir(root.join("proj")).unwrap();
    std::os::unix::fs::symlink("../real", root.join("proj/linked")).unwrap();
    assert!(checked(root, &["proj"]).is_empty());
    assert_eq!(
        checked(root, &["--follow-links", "proj"]),
        ["proj/linked/a.rs"]
    );
}

#[test]
fn standard_input_is_checked_as_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    write(dir.path(), "app/db.py", PY_ESCAPES);
    for (path, text) in [("src/escapes.rs", ESCAPES), ("app/db.py", PY_ESCAPES)] {
        let (disk_code, disk, _) = run_in(dir.path(), &["check", "--format", "json", path]);
        let (code, stdin, stderr) = run_with_stdin(
            dir.path(),
            &["check", "--format", "json", "--stdin-filename", path, "-"],
            text,
        );
        assert_eq!((code, &stdin), (disk_code, &disk), "{stderr}");
        assert_eq!(code, 1);
    }
    // Unsaved text that fixes the finding: nothing reported, the file on disk unchanged.
    let (code, _, _) = run_with_stdin(
        dir.path(),
        &["check", "--stdin-filename", "src/escapes.rs", "-"],
        "pub fn conn() {}\n",
    );
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/escapes.rs")).unwrap(),
        ESCAPES
    );
    let (code, _, stderr) = run_with_stdin(dir.path(), &["check", "-"], "");
    assert_eq!(code, 2);
    assert!(stderr.contains("needs `--stdin-filename PATH`"), "{stderr}");
}

#[test]
fn a_baseline_silences_known_findings_across_line_shifts_but_not_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/escapes.rs", ESCAPES);
    write(root, "app/db.py", PY_ESCAPES);
    let (code, _, stderr) = run_in(
        root,
        &["check", "--write-baseline", "scoped-db-baseline.json"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("wrote 2 findings to the baseline"),
        "{stderr}"
    );
    let baseline = ["--baseline", "scoped-db-baseline.json", "--format", "short"];
    let with_baseline = |root: &Path| {
        let mut args = vec!["check"];
        args.extend(baseline);
        run_in(root, &args)
    };
    assert_eq!(with_baseline(root).0, 0);
    // Lines added above, and an edit elsewhere in the file: still known.
    write(
        root,
        "src/escapes.rs",
        format!("// new header\n\nconst LIMIT: u32 = 5;\n{ESCAPES}"),
    );
    write(root, "app/db.py", format!("import os\n\n\n{PY_ESCAPES}"));
    let (code, stdout, _) = with_baseline(root);
    assert_eq!((code, stdout.as_str()), (0, ""));
    // From another directory, the same baseline still applies.
    let (code, _, _) = run_in(
        &root.join("src"),
        &["check", "--baseline", "../scoped-db-baseline.json", "."],
    );
    assert_eq!(code, 0);
    // A new escape is reported.
    write(
        root,
        "src/more.rs",
        ESCAPES.replace("fn conn(", "fn second("),
    );
    let (code, stdout, _) = with_baseline(root);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "./src/more.rs:3:5: SDB001 connection escapes the function that acquired it\n"
    );
    // A file that is not a baseline is an error, not an empty baseline.
    write(root, "bad.json", "{}");
    let (code, _, stderr) = run_in(root, &["check", "--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a scoped-db baseline"), "{stderr}");
}

#[test]
fn cargo_scoped_db_is_the_same_program() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/escapes.rs", ESCAPES);
    let direct = run_in(dir.path(), &["check", "--format", "short"]);
    // As cargo runs a subcommand: `cargo scoped-db check` is `cargo-scoped-db scoped-db check`.
    let out = assert_cmd::Command::cargo_bin("cargo-scoped-db")
        .unwrap()
        .current_dir(dir.path())
        .args(["scoped-db", "check", "--format", "short"])
        .output()
        .unwrap();
    let via_cargo = (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(via_cargo, direct);
    assert_eq!(direct.0, 1);
    let help = assert_cmd::Command::cargo_bin("cargo-scoped-db")
        .unwrap()
        .args(["scoped-db", "--help"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(help.stdout)
            .unwrap()
            .contains("Usage: cargo scoped-db")
    );
}

/// A wrapper in another module that passes on what `PY_ESCAPES` (as `app/db.py`) lets escape:
/// what a commit touching only the wrapper stages.
const PY_WRAPPER: &str = "from app.db import open_conn\n\
\n\
async def conn_for_request():\n\
\x20   conn = await open_conn()\n\
\x20   return conn\n";

#[test]
fn context_reports_a_wrapper_of_a_helper_that_is_not_named_and_never_the_helper() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/__init__.py", "");
    write(dir.path(), "app/db.py", PY_ESCAPES);
    write(dir.path(), "app/service.py", PY_WRAPPER);
    write(dir.path(), "src/lib.rs", "pub mod db;\npub mod service;\n");
    write(dir.path(), "src/db.rs", ESCAPES);
    write(
        dir.path(),
        "src/service.rs",
        "use sqlx::PgPool;\n\
         pub async fn for_request(pool: &PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
         \x20   crate::db::conn(pool).await\n\
         }\n",
    );
    let named = ["app/service.py", "src/service.rs"];
    // Alone, the wrappers hand out what an unknown function returned.
    let (code, doc) = json(dir.path(), &named);
    assert_eq!((code, pluck(&doc, &["path"])), (0, Vec::<String>::new()));
    // In their project's context: the wrappers are reported, pointing at the helpers, and the
    // helpers (not named) are not.
    let mut args = vec!["--context", "."];
    args.extend(named);
    let (code, doc) = json(dir.path(), &args);
    assert_eq!(code, 1);
    assert_eq!(
        pluck(&doc, &["rule", "path", "function", "/related/0/message"]),
        [
            "SDB001 app/service.py conn_for_request connection comes from `open_conn`, which \
             lets it escape",
            "SDB001 src/service.rs for_request connection comes from `conn`, which lets it escape",
        ]
    );
    assert_eq!(doc["summary"]["files_checked"], 2);
    // The context written absolute, or the paths absolute: the same crate and modules.
    let absolute = dir.path().to_str().unwrap();
    let mut args = vec!["--context", absolute];
    args.extend(named);
    assert_eq!(json(dir.path(), &args).1["findings"], doc["findings"]);
    let named_absolute: Vec<String> = named.iter().map(|p| format!("{absolute}/{p}")).collect();
    let mut args = vec!["--context", "."];
    args.extend(named_absolute.iter().map(String::as_str));
    let (code, doc_absolute) = json(dir.path(), &args);
    assert_eq!(
        (code, pluck(&doc_absolute, &["rule", "function"])),
        (1, pluck(&doc, &["rule", "function"]))
    );
    // The whole tree checked reports all four: the context adds no finding of its own.
    let (_, all) = json(dir.path(), &["."]);
    assert_eq!(all["summary"]["findings"], 4);
    // A named file is checked once, also when the context holds it; standard input stands in
    // for it, as an editor sends an unsaved buffer.
    let (code, stdout, stderr) = run_with_stdin(
        dir.path(),
        &[
            "check",
            "--format",
            "short",
            "--context",
            ".",
            "--stdin-filename",
            "app/service.py",
            "-",
        ],
        "from app.db import open_conn\n\nasync def fixed():\n    async with open_conn():\n        pass\n",
    );
    assert_eq!((code, stdout.as_str()), (0, ""), "{stderr}");
    assert!(stderr.contains("1 file checked"), "{stderr}");
}

#[test]
fn context_files_that_do_not_parse_are_a_note_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/db.py", PY_ESCAPES);
    write(dir.path(), "app/service.py", PY_WRAPPER);
    // It uses the database, so the prefilter lets it through and it is parsed.
    write(
        dir.path(),
        "app/broken.py",
        "import sqlalchemy\ndef broken(:\n",
    );
    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "short",
            "--context",
            ".",
            "app/service.py",
        ],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("app/service.py:5:12: SDB001"),
        "{stdout}"
    );
    assert!(
        stderr.contains("1 file in the context could not be read or parsed")
            && stderr.contains("broken.py"),
        "{stderr}"
    );
    // Named, the same file is an error of the run.
    let (code, _, _) = run_in(dir.path(), &["check", "--context", ".", "app/broken.py"]);
    assert_eq!(code, 2);
    let (code, _, stderr) = run_in(dir.path(), &["check", "--context", "app/db.py", "app"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("must be a directory"), "{stderr}");
}

/// `--format gitlab`: a GitLab Code Quality report. GitLab reads these fields of each issue, a
/// subset of the Code Climate issue (codeclimate/platform, `spec/analyzers/SPEC.md`, "Issues":
/// `type` "issue", `check_name`, `description` "a single line of text", `categories`,
/// `location` with `path` and `lines.begin`, `severity` one of info, minor, major, critical,
/// blocker, `fingerprint` "a unique, deterministic identifier"). The fingerprint survives lines
/// added above the finding; a path that is not ASCII is carried as it is.
#[test]
fn gitlab_code_quality_reports_carry_the_fields_gitlab_reads() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/données.py", PY_ESCAPES);
    write(dir.path(), "src/db.rs", ESCAPES);
    let report = |dir: &std::path::Path| {
        let (code, stdout, stderr) = run_in(dir, &["check", "--format", "gitlab", "app", "src"]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("2 findings"), "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
    };
    let doc = report(dir.path());
    let issues = doc.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    for issue in issues {
        assert_eq!(issue["type"], "issue");
        let check = issue["check_name"].as_str().unwrap();
        assert!(check.starts_with("SDB"), "{issue}");
        let description = issue["description"].as_str().unwrap();
        assert!(description.starts_with(check) && !description.contains('\n'));
        assert!(!issue["categories"].as_array().unwrap().is_empty());
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().unwrap())
        );
        assert!(issue["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        assert!(!issue["fingerprint"].as_str().unwrap().is_empty());
    }
    assert_eq!(issues[0]["location"]["path"], "app/données.py");
    assert_eq!(issues[1]["location"]["path"], "src/db.rs");
    assert_ne!(issues[0]["fingerprint"], issues[1]["fingerprint"]);
    // Lines added above each finding move it, not its fingerprint.
    write(
        dir.path(),
        "app/données.py",
        format!("# a comment\n\n{PY_ESCAPES}"),
    );
    write(
        dir.path(),
        "src/db.rs",
        format!("// a comment\n\n{ESCAPES}"),
    );
    let moved = report(dir.path());
    for (before, after) in issues.iter().zip(moved.as_array().unwrap()) {
        assert_eq!(before["fingerprint"], after["fingerprint"]);
        assert_eq!(
            after["location"]["lines"]["begin"].as_u64().unwrap(),
            before["location"]["lines"]["begin"].as_u64().unwrap() + 2
        );
    }
    // No findings: an empty report, which GitLab reads as such.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "src/ok.rs", "fn ok() -> u32 { 1 }\n");
    let (code, stdout, _) = run_in(clean.path(), &["check", "--format", "gitlab", "src"]);
    assert_eq!((code, stdout.trim()), (0, "[]"));
}
