//! The language server end to end: the built binary driven over stdio as an editor drives it.

mod common;

use serde_json::{Value, json};

use common::lsp::{Editor, uri};
use common::*;

const CALLER: &str = "use crate::db::conn;\n\
pub async fn wrapper(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
\x20   conn(pool).await\n\
}\n";

/// Applies the text edits of a code action (insertions at a line start, as the server makes them).
fn apply(text: &str, action: &Value) -> String {
    let changes = action["edit"]["changes"].as_object().unwrap();
    let edits = changes.values().next().unwrap().as_array().unwrap();
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    for edit in edits {
        let line = edit["range"]["start"]["line"].as_u64().unwrap() as usize;
        assert_eq!(edit["range"]["start"]["character"], 0);
        lines.insert(line, edit["newText"].as_str().unwrap().to_string());
    }
    lines.concat()
}

#[test]
fn diagnostics_follow_edits_across_files_and_code_actions_clear_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "src/db.rs", ESCAPES);
    write(root, "src/service.rs", CALLER);
    write(root, "app/db.py", PY_ESCAPES);
    let (db, service, py) = (
        root.join("src/db.rs"),
        root.join("src/service.rs"),
        root.join("app/db.py"),
    );
    let mut editor = Editor::start(root);

    editor.open(&db, ESCAPES);
    editor.expect(&db, &["SDB001 2:4-2:24"]);
    editor.open(&service, CALLER);
    editor.expect(&service, &["SDB001 2:4-2:20"]);

    // Unsaved text that fixes the helper: its diagnostic and its caller's both go.
    let fixed = ESCAPES.replace(
        "    pool.acquire().await\n",
        "    let c = pool.acquire().await?;\n    drop(c);\n    unimplemented!()\n",
    );
    editor.change(&db, &fixed);
    editor.expect(&db, &[]);
    editor.expect(&service, &[]);
    // Back: both return.
    editor.change(&db, ESCAPES);
    editor.expect(&db, &["SDB001 2:4-2:24"]);
    editor.expect(&service, &["SDB001 2:4-2:20"]);

    // Python, with the related location and the rule's link.
    editor.open(&py, PY_ESCAPES);
    editor.expect(&py, &["SDB001 6:15-6:19"]);
    let d = editor.diagnostics[&uri(&py)][0].clone();
    assert_eq!(d["source"], "scoped-db");
    assert_eq!(d["severity"], 1);
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("#sdb001-escaped-handle")
    );
    assert_eq!(
        d["relatedInformation"][0]["location"]["range"]["start"]["line"],
        5
    );

    // Code actions on the Rust finding: suppress on the line, mark as provider, explain.
    let actions = editor.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri(&db) },
                "range": { "start": { "line": 2, "character": 4 }, "end": { "line": 2, "character": 4 } },
                "context": { "diagnostics": [] } }),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Suppress SDB001 (escaped-handle) on this line",
            "Mark `conn` as a provider",
            "Explain SDB001 (escaped-handle)",
        ]
    );
    let suppressed = apply(ESCAPES, &actions[0]);
    assert!(suppressed.contains("    // scoped-db: allow(escaped-handle)"));
    editor.change(&db, &suppressed);
    editor.expect(&db, &[]);
    let provider = apply(ESCAPES, &actions[1]);
    assert!(provider.contains("#[scoped_db::provider]\npub async fn conn"));
    editor.change(&db, &provider);
    editor.expect(&db, &[]);
    let docs = editor.request(
        "workspace/executeCommand",
        json!({ "command": "scoped-db.explain", "arguments": ["SDB001"] }),
    );
    assert!(docs.as_str().unwrap().contains("## What it does"));

    // The Python action is a comment.
    let actions = editor.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri(&py) },
                "range": { "start": { "line": 6, "character": 15 }, "end": { "line": 6, "character": 15 } },
                "context": { "diagnostics": [] } }),
    );
    let suppressed = apply(PY_ESCAPES, &actions[0]);
    assert!(
        suppressed.contains("        # scoped-db: allow(escaped-handle)"),
        "{suppressed}"
    );
    editor.change(&py, &suppressed);
    editor.expect(&py, &[]);

    // A syntax error is a diagnostic, not a crash; fixing it brings the finding back.
    editor.change(&db, "use sqlx::PgPool;\nfn broken( {}\n");
    editor.expect(&db, &["- 1:9-1:9"]);
    editor.change(&db, ESCAPES);
    editor.expect(&db, &["SDB001 2:4-2:24"]);
    editor.stop();
}

#[test]
fn a_bad_configuration_is_a_diagnostic_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "scoped-db.toml", "exclued = [\"x\"]\n");
    write(root, "src/db.rs", ESCAPES);
    let mut editor = Editor::start(root);
    editor.open(&root.join("src/db.rs"), ESCAPES);
    editor.expect(&root.join("scoped-db.toml"), &["config 0:0-0:0"]);
    // Defaults apply meanwhile: the finding is still shown.
    editor.expect(&root.join("src/db.rs"), &["SDB001 2:4-2:24"]);
    // Fixed, turning the rule off: read again when the editor says the file changed.
    write(
        root,
        "scoped-db.toml",
        "[rules]\nescaped-handle = \"off\"\n",
    );
    editor.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&root.join("scoped-db.toml")), "type": 2 }] }),
    );
    editor.expect(&root.join("scoped-db.toml"), &[]);
    editor.expect(&root.join("src/db.rs"), &[]);
    editor.stop();
}

#[test]
fn calls_into_a_sibling_crate_are_followed_and_a_changed_manifest_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let db_src = "pub type DbPool = sqlx::PgPool;\n\
        pub async fn open_tx(pool: &DbPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {\n\
        \x20   pool.begin().await\n\
        }\n";
    let api_src = "pub async fn tx_for_request(pool: &db::DbPool) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {\n\
        \x20   db::open_tx(pool).await\n\
        }\n";
    let depends = "[package]\nname = \"app-api\"\n[dependencies]\ndb = { path = \"../db\", package = \"app-db\" }\n";
    write(
        root,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n",
    );
    write(
        root,
        "crates/db/Cargo.toml",
        "[package]\nname = \"app-db\"\n",
    );
    write(root, "crates/db/src/lib.rs", db_src);
    write(root, "crates/api/Cargo.toml", depends);
    write(root, "crates/api/src/lib.rs", api_src);
    let api = root.join("crates/api/src/lib.rs");
    let mut editor = Editor::start(root);
    editor.open(&api, api_src);
    editor.expect(&api, &["SDB001 1:4-1:27"]);
    // The dependency goes: `db` is some other crate again, and the call is not followed.
    let manifest = root.join("crates/api/Cargo.toml");
    write(
        root,
        "crates/api/Cargo.toml",
        "[package]\nname = \"app-api\"\n",
    );
    editor.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&manifest), "type": 2 }] }),
    );
    editor.expect(&api, &[]);
    write(root, "crates/api/Cargo.toml", depends);
    editor.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri(&manifest), "type": 2 }] }),
    );
    editor.expect(&api, &["SDB001 1:4-1:27"]);
    editor.stop();
}
