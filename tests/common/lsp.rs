//! An editor's side of the language server protocol, for the end-to-end test and the benchmark:
//! starts `scoped-db server`, frames messages, keeps the diagnostics it publishes.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

pub struct Editor {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// The last diagnostics published for each URI.
    pub diagnostics: std::collections::HashMap<String, Value>,
}

impl Editor {
    pub fn start(root: &Path) -> Editor {
        Editor::start_with(Path::new(env!("CARGO_BIN_EXE_scoped-db")), root)
    }

    /// Starts `binary server` on the workspace `root` and initializes it.
    pub fn start_with(binary: &Path, root: &Path) -> Editor {
        let mut child = Command::new(binary)
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

    pub fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and waits for its response, keeping the diagnostics published meanwhile.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
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

    pub fn receive(&mut self) -> Value {
        self.receive_within(Duration::from_secs(30))
            .expect("the server answers")
    }

    pub fn receive_within(&mut self, wait: Duration) -> Option<Value> {
        let message = self.messages.recv_timeout(wait).ok()?;
        if message["method"] == "textDocument/publishDiagnostics" {
            let uri = message["params"]["uri"].as_str().unwrap().to_string();
            self.diagnostics
                .insert(uri, message["params"]["diagnostics"].clone());
        }
        Some(message)
    }

    /// Waits until the diagnostics of `path` are `expected` (code, 0-based range), as shown.
    pub fn expect(&mut self, path: &Path, expected: &[&str]) {
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

    pub fn open(&mut self, path: &Path, text: &str) {
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

    pub fn change(&mut self, path: &Path, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri(path), "version": 2 }, "contentChanges": [{ "text": text }] }),
        );
    }

    pub fn stop(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success());
    }
}

pub fn uri(path: &Path) -> String {
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
