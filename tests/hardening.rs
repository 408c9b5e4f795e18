//! Bad input, end to end through the built binary: each case is a file next to a good one; the bad
//! one gets an error that names it and says what is wrong (exit 2), or is checked correctly, and
//! the good one is always still checked and reported.

mod common;

use std::path::Path;

use common::*;

/// Runs `check --format json` on `dir` with a good Rust file added, and gives the exit status,
/// the findings as `path:line:column:end_column` and the errors as `path: message`.
fn run_with_a_good_file(dir: &Path, args: &[&str]) -> (i32, Vec<String>, Vec<String>) {
    write(dir, "good/escapes.rs", ESCAPES);
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = run_in(dir, &all);
    let doc: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}{stderr}"));
    let findings = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{}:{}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["end_column"]
            )
        })
        .collect::<Vec<_>>();
    let errors = doc["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["path"].as_str().unwrap(),
                e["message"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>();
    assert!(
        findings.contains(&"good/escapes.rs:3:5:25".to_string()),
        "the good file is still checked: {findings:?} {errors:?}"
    );
    (code, findings, errors)
}

fn without_good(findings: Vec<String>) -> Vec<String> {
    findings
        .into_iter()
        .filter(|f| !f.starts_with("good/"))
        .collect()
}

#[test]
fn non_utf8_is_an_error_naming_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad/latin1.rs",
        b"use sqlx::PgPool; // caf\xe9\n",
    );
    write(dir.path(), "bad/latin1.py", b"# caf\xe9\nx = 1\n");
    let (code, _, errors) = run_with_a_good_file(dir.path(), &["bad", "good"]);
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "bad/latin1.py: file is not valid UTF-8 (invalid byte at offset 5)",
            "bad/latin1.rs: file is not valid UTF-8 (invalid byte at offset 24)",
        ]
    );
}

#[test]
fn a_bom_crlf_tabs_and_wide_characters_keep_positions_in_characters() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "odd/bom.rs", format!("\u{feff}{ESCAPES}"));
    write(dir.path(), "odd/crlf.rs", ESCAPES.replace('\n', "\r\n"));
    // A tab and two-byte and four-byte characters before the finding on its line.
    write(
        dir.path(),
        "odd/wide.rs",
        ESCAPES.replace("    pool.acquire()", "\t/* é😀 */ pool.acquire()"),
    );
    write(dir.path(), "odd/bom.py", format!("\u{feff}{PY_ESCAPES}"));
    write(dir.path(), "odd/crlf.py", PY_ESCAPES.replace('\n', "\r\n"));
    let (code, findings, errors) = run_with_a_good_file(dir.path(), &["odd", "good"]);
    assert_eq!((code, errors.len()), (1, 0), "{errors:?}");
    assert_eq!(
        without_good(findings),
        [
            "odd/bom.py:7:16:20",
            "odd/bom.rs:3:5:25",
            "odd/crlf.py:7:16:20",
            "odd/crlf.rs:3:5:25",
            // `\t/* é😀 */ ` is 10 characters.
            "odd/wide.rs:3:11:31",
        ]
    );
    // The human report underlines the expression itself, whatever came before it on the line
    // (miette lays out by display width: a tab is four columns, the emoji two).
    let (_, stdout, _) = run_in(dir.path(), &["check", "--color", "never", "odd/wide.rs"]);
    let mut lines = stdout.lines().skip_while(|l| !l.contains("pool.acquire()"));
    let (code_line, marks) = (lines.next().unwrap(), lines.next().unwrap());
    let width = |s: &str| -> usize {
        s.chars()
            .map(|c| match c {
                '\t' => 4,
                c if u32::from(c) >= 0x1F300 => 2,
                _ => 1,
            })
            .sum()
    };
    let at = |s: &str, pat: &str| width(&s[..s.find(pat).unwrap()]);
    assert_eq!(at(code_line, "pool"), at(marks, "─"), "{stdout}");
    assert!(stdout.contains("connection acquired here"), "{stdout}");
}

#[test]
fn an_empty_file_is_checked_and_clean() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "empty/a.rs", "");
    write(dir.path(), "empty/b.py", "");
    let (code, findings, errors) = run_with_a_good_file(dir.path(), &["empty", "good"]);
    assert_eq!((code, findings.len(), errors.len()), (1, 1, 0));
}

#[test]
fn syntax_errors_say_what_and_where() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad/a_unclosed.rs",
        "use sqlx::PgPool;\nfn ok( {}\n",
    );
    write(
        dir.path(),
        "bad/b_stray.rs",
        "use sqlx::PgPool;\nfn f() {}\n}\n",
    );
    write(
        dir.path(),
        "bad/c_string.rs",
        "use sqlx::PgPool;\nfn f() { \"open }\n",
    );
    write(
        dir.path(),
        "bad/d_token.rs",
        "use sqlx::PgPool;\nfn f() { let = 1; }\n",
    );
    write(
        dir.path(),
        "bad/e_python2.py",
        "import asyncpg\nprint \"hello\"\n",
    );
    write(dir.path(), "bad/f_nul.py", "import asyncpg\nx = 1\0\n");
    let (code, _, errors) = run_with_a_good_file(dir.path(), &["bad", "good"]);
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "bad/a_unclosed.rs: unclosed delimiter `(` at line 2 column 6",
            "bad/b_stray.rs: unexpected closing delimiter `}` at line 3 column 1",
            "bad/c_string.rs: unterminated string literal at line 2 column 10",
            "bad/d_token.rs: expected one of: identifier, `::`, `<`, `_`, literal, `const`, \
             `ref`, `mut`, `&`, parentheses, square brackets, `..`, `const` at line 2 column 14",
            "bad/e_python2.py: Simple statements must be separated by newlines or semicolons at line 2 column 7",
            "bad/f_nul.py: Got unexpected token \0 at line 2 column 6",
        ]
    );
}

#[test]
fn mixed_tabs_and_spaces_in_python_are_read_as_python_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "py/mixed.py",
        PY_ESCAPES.replace("        return conn", "\t    return conn"),
    );
    let (code, findings, errors) = run_with_a_good_file(dir.path(), &["py", "good"]);
    assert_eq!((code, errors.len()), (1, 0), "{errors:?}");
    assert_eq!(without_good(findings), ["py/mixed.py:7:13:17"]);
}

#[test]
fn a_20_mb_file_is_checked_unless_over_the_size_limit() {
    let dir = tempfile::tempdir().unwrap();
    let big = format!(
        "{ESCAPES}pub const BLOB: &str = \"{}\";\n",
        "x".repeat(20 << 20)
    );
    write(dir.path(), "big/generated.rs", &big);
    let (code, findings, errors) = run_with_a_good_file(dir.path(), &["big", "good"]);
    assert_eq!((code, errors.len()), (1, 0), "{errors:?}");
    assert_eq!(without_good(findings), ["big/generated.rs:3:5:25"]);

    let (code, stdout, stderr) = run_in(
        dir.path(),
        &[
            "check",
            "--format",
            "json",
            "--max-file-size",
            "1M",
            "big",
            "good",
        ],
    );
    assert_eq!(code, 1, "a skipped file is not an error: {stderr}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["summary"]["findings"], 1);
    assert_eq!(doc["skipped"][0]["path"], "big/generated.rs");
    assert_eq!(
        doc["skipped"][0]["reason"],
        "20.0 MiB is over --max-file-size (1.0 MiB)"
    );
    let (_, _, stderr) = run_in(dir.path(), &["check", "--max-file-size", "1M", "big"]);
    assert!(
        stderr.contains("warning: big/generated.rs: skipped: 20.0 MiB is over --max-file-size")
            && stderr.ends_with("; 1 file skipped (over --max-file-size)\n"),
        "{stderr}"
    );
}

#[test]
fn nesting_100_000_deep_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    write(
        dir.path(),
        "deep/a.rs",
        format!(
            "use sqlx::PgPool;\nfn f() -> i32 {{ {}1{} }}\n",
            "(".repeat(n),
            ")".repeat(n)
        ),
    );
    write(
        dir.path(),
        "deep/b.py",
        format!("import asyncpg\nx = {}1{}\n", "[".repeat(n), "]".repeat(n)),
    );
    let (code, _, errors) = run_with_a_good_file(dir.path(), &["deep", "good"]);
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "deep/a.rs: delimiters nest too deep to check (depth 100001; the limit is 1000)",
            "deep/b.py: delimiters nest too deep to check (depth 100000; the limit is 1000)",
        ]
    );
}

#[test]
fn directories_named_like_sources_and_odd_links() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A directory named `x.rs` is walked, never read as a file.
    write(root, "tree/x.rs/inner.rs", ESCAPES);
    // A dangling link and a link loop inside a walked tree are not files: not followed, not read.
    std::os::unix::fs::symlink("nowhere.rs", root.join("tree/dangling.rs")).unwrap();
    std::os::unix::fs::symlink("loop.rs", root.join("tree/loop.rs")).unwrap();
    let (code, findings, errors) = run_with_a_good_file(root, &["tree", "good"]);
    assert_eq!((code, errors.len()), (1, 0), "{errors:?}");
    assert_eq!(without_good(findings), ["tree/x.rs/inner.rs:3:5:25"]);
    // Named on the command line, each is an error that says what it is.
    let (code, _, errors) = run_with_a_good_file(
        root,
        &["tree/dangling.rs", "tree/loop.rs", "no/such.rs", "good"],
    );
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "no/such.rs: no such file or directory",
            "tree/dangling.rs: is a symbolic link to nothing (dangling)",
            "tree/loop.rs: too many levels of symbolic links",
        ]
    );
    // Following links, a directory loop is reported once and the walk goes on.
    std::os::unix::fs::symlink("..", root.join("tree/x.rs/up")).unwrap();
    let (code, findings, errors) = run_with_a_good_file(root, &["--follow-links", "tree", "good"]);
    assert_eq!(code, 2);
    assert!(findings.contains(&"tree/x.rs/inner.rs:3:5:25".to_string()));
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("tree/x.rs/up: symbolic link loop")),
        "{errors:?}"
    );
}

#[test]
fn an_unreadable_file_is_an_error_unless_this_user_can_read_anything() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "locked/escapes.rs", ESCAPES);
    let locked = dir.path().join("locked/escapes.rs");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // root reads any file; whether this user can is found out, and each answer is checked.
    let readable = std::fs::read(&locked).is_ok();
    let (code, findings, errors) = run_with_a_good_file(dir.path(), &["locked", "good"]);
    if readable {
        assert_eq!(
            (code, without_good(findings)),
            (1, vec!["locked/escapes.rs:3:5:25".to_string()])
        );
    } else {
        assert_eq!(code, 2);
        assert_eq!(errors, ["locked/escapes.rs: permission denied"]);
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn odd_file_names_are_shown_safely_and_carried_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "names/a b.rs",
        "names/new\nline.rs",
        "names/evil\u{1b}[31mred\u{1b}[0m.rs",
    ];
    for name in names {
        write(dir.path(), name, ESCAPES);
    }
    // JSON carries them exactly.
    let (code, findings, _) = run_with_a_good_file(dir.path(), &["names", "good"]);
    assert_eq!(code, 1);
    let mut expected: Vec<String> = names.iter().map(|n| format!("{n}:3:5:25")).collect();
    expected.sort();
    assert_eq!(without_good(findings), expected);
    // People's formats never send a control character to the terminal.
    for format in ["human", "short", "github"] {
        let (_, stdout, stderr) = run_in(
            dir.path(),
            &["check", "--color", "never", "--format", format, "names"],
        );
        for out in [&stdout, &stderr] {
            assert!(
                !out.chars().any(|c| c.is_control() && c != '\n'),
                "{format}: {out:?}"
            );
        }
        assert!(
            stdout.contains("evil\\u{1b}[31mred\\u{1b}[0m.rs") || stdout.contains("evil%5Cu{1b}"),
            "{format}: {stdout}"
        );
    }
}

#[test]
fn control_characters_in_a_source_are_shown_not_sent() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/escapes.rs",
        ESCAPES.replace("    pool.acquire()", "    /* \u{1b}[2J */ pool.acquire()"),
    );
    let (code, stdout, _) = run_in(dir.path(), &["check", "--color", "never", "src"]);
    assert_eq!(code, 1);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(
        stdout.contains("/* \\u{1b}[2J */ pool.acquire()"),
        "{stdout}"
    );
}

#[test]
fn a_run_never_writes_to_the_checked_tree() {
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    write(&tree, "src/escapes.rs", ESCAPES);
    write(&tree, "app/db.py", PY_ESCAPES);
    write(
        &tree,
        "scoped-db.toml",
        "extend-exclude = [\"generated\"]\n",
    );
    let snapshot = |root: &Path| {
        let mut all = Vec::new();
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            let bytes = if meta.is_file() {
                std::fs::read(entry.path()).unwrap()
            } else {
                Vec::new()
            };
            all.push((entry.path().to_path_buf(), bytes, meta.modified().unwrap()));
        }
        all
    };
    let before = snapshot(&tree);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for args in [
        vec!["check", "tree"],
        vec![
            "check",
            "--format",
            "sarif",
            "-o",
            "out/report.sarif",
            "tree",
        ],
        vec!["check", "--write-baseline", "out/baseline.json", "tree"],
        vec![
            "check",
            "--baseline",
            "out/baseline.json",
            "--format",
            "github",
            "tree",
        ],
    ] {
        let (code, _, stderr) = run_in(dir.path(), &args);
        assert!(code <= 1, "{args:?}: {stderr}");
    }
    assert_eq!(snapshot(&tree), before);
    assert!(out.join("report.sarif").is_file() && out.join("baseline.json").is_file());
}
