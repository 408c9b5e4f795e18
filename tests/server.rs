//! The language server end to end: the built binary driven over stdio as an editor drives it.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

use common::*;

const CALLER: &str = "use crate::db::conn;\n\
pub async fn wrapper(pool: &sqlx::PgPool) -> sqlx::Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {\n\
\x20   conn(pool).await\n\
}\n";

const PY_ESCAPES: &str = "from sqlalchemy.ext.asyncio import create_async_engine\n\
\n\
engine = create_async_engine(\"postgresql+asyncpg://localhost/db\")\n\
\n\
async def open_conn():\n\
\x20   async with engine.begin() as conn:\n\
\x20       return conn\n";

struct Editor {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// The last diagnostics published for each URI.
    diagnostics: std::collections::HashMap<String, Value>,
}

impl Editor {
    fn start(root: &Path) -> Editor {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scoped-db"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(n) = header.strip_prefix("Content-Length: ") {
                        length = n.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let mut editor = Editor {
            child,
            stdin,
            messages,
            next_id: 0,
            diagnostics: Default::default(),
        };
        let root_uri = uri(root);
        let init = editor.request(
            "initialize",
            json!({ "processId": null, "rootUri": root_uri, "capabilities": {},
                    "workspaceFolders": [{ "uri": root_uri, "name": "project" }] }),
        );
        assert_eq!(init["capabilities"]["textDocumentSync"], 1, "{init}");
        editor.notify("initialized", json!({}));
        editor
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response, keeping the diagnostics published meanwhile.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive();
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{message}");
                return message["result"].clone();
            }
        }
    }

    fn receive(&mut self) -> Value {
        self.receive_within(Duration::from_secs(30))
            .expect("the server answers")
    }

    fn receive_within(&mut self, wait: Duration) -> Option<Value> {
        let message = self.messages.recv_timeout(wait).ok()?;
        if message["method"] == "textDocument/publishDiagnostics" {
            let uri = message["params"]["uri"].as_str().unwrap().to_string();
            self.diagnostics
                .insert(uri, message["params"]["diagnostics"].clone());
        }
        Some(message)
    }

    /// Waits until the diagnostics of `path` are `expected` (code, 0-based range), as shown.
    fn expect(&mut self, path: &Path, expected: &[&str]) {
        let uri = uri(path);
        let shown = |d: &Value| -> Vec<String> {
            d.as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let r = &d["range"];
                    format!(
                        "{} {}:{}-{}:{}",
                        d["code"].as_str().unwrap_or("-"),
                        r["start"]["line"],
                        r["start"]["character"],
                        r["end"]["line"],
                        r["end"]["character"]
                    )
                })
                .collect()
        };
        // Diagnostics are published only when they change: what is there once the server has
        // gone quiet for a while is what it shows.
        loop {
            if let Some(d) = self.diagnostics.get(&uri)
                && shown(d) == expected
            {
                return;
            }
            if self.receive_within(Duration::from_secs(5)).is_none() {
                panic!(
                    "{}: {:?}, expected {expected:?}",
                    path.display(),
                    self.diagnostics.get(&uri).map(shown)
                );
            }
        }
    }

    fn open(&mut self, path: &Path, text: &str) {
        let language = if path.extension().is_some_and(|e| e == "py") {
            "python"
        } else {
            "rust"
        };
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri(path), "languageId": language, "version": 1, "text": text } }),
        );
    }

    fn change(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(path), "version": 2 }, "contentChanges": [{ "text": text }] }),
        );
    }

    fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success());
    }
}

fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

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
    editor.stop();
}
