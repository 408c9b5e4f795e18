//! `scoped-db server`: the language server. Diagnostics for `.rs` and `.py` documents as they are
//! typed (the editor's unsaved text is what is checked), with the whole workspace in view, so an
//! edit in one file updates the diagnostics of its callers in others; code actions to suppress a
//! finding, mark a function as a provider, or explain a rule. Synchronous, over stdio, on
//! `lsp-server` and `lsp-types` as rust-analyzer uses them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Command, Diagnostic,
    DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    ExecuteCommandOptions, ExecuteCommandParams, InitializeParams, MessageType, NumberOrString,
    Position, PublishDiagnosticsParams, Range, ServerCapabilities, ShowMessageParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri, WorkspaceEdit,
};
use scoped_db_engine::rules::Rule;
use scoped_db_engine::workspace::{Texts, Workspace};
use scoped_db_engine::{Finding, LineCol, Location, Options, Severity, suppress};

use crate::settle::{Settled, settle};

use crate::config::{self, Settings};
use crate::discover::{Walk, discover};

/// The command behind "explain SDB00x".
const EXPLAIN: &str = "scoped-db.explain";

/// Runs the server until the client says `exit`.
pub fn run() -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve(&connection) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("scoped-db server: {e}");
            ExitCode::from(2)
        }
    };
    drop(connection);
    let _ = io_threads.join();
    code
}

fn serve(connection: &Connection) -> Result<(), Box<dyn std::error::Error>> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![EXPLAIN.to_string()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    };
    let params = connection.initialize(serde_json::to_value(capabilities)?)?;
    let params: InitializeParams = serde_json::from_value(params)?;
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| uri_to_path(&f.uri))
        .collect();
    #[allow(deprecated)]
    if roots.is_empty()
        && let Some(root) = params.root_uri.as_ref().and_then(uri_to_path)
    {
        roots.push(root);
    }
    let mut server = Server::new(roots);
    server.open_workspace(connection);

    // Messages are taken in batches: every change already waiting is applied before anything is
    // checked, so a burst of keystrokes costs one check.
    while let Ok(first) = connection.receiver.recv() {
        let mut batch = vec![first];
        while let Ok(next) = connection.receiver.try_recv() {
            batch.push(next);
        }
        // Requests the client cancelled before they were reached are answered as cancelled.
        let cancelled: Vec<RequestId> = batch
            .iter()
            .filter_map(|m| match m {
                Message::Notification(n) if n.method == "$/cancelRequest" => {
                    serde_json::from_value::<lsp_types::CancelParams>(n.params.clone())
                        .ok()
                        .map(|p| match p.id {
                            NumberOrString::Number(n) => RequestId::from(n),
                            NumberOrString::String(s) => RequestId::from(s),
                        })
                }
                _ => None,
            })
            .collect();
        let mut changed: Vec<PathBuf> = Vec::new();
        for message in batch {
            match message {
                Message::Request(req) => {
                    if connection.handle_shutdown(&req)? {
                        return Ok(());
                    }
                    let response = if cancelled.contains(&req.id) {
                        Response::new_err(req.id, -32800, "cancelled".into())
                    } else {
                        server.request(req)
                    };
                    connection.sender.send(Message::Response(response))?;
                }
                Message::Notification(note) => {
                    if note.method == "exit" {
                        return Ok(());
                    }
                    changed.extend(server.notification(connection, note));
                }
                Message::Response(_) => {}
            }
        }
        changed.dedup();
        if !changed.is_empty() {
            server.recheck(connection, &changed);
        }
    }
    Ok(())
}

/// The documents the editor has open, and everything else read from disk.
#[derive(Default)]
struct Buffers {
    open: HashMap<PathBuf, String>,
}

impl Texts for Buffers {
    fn text(&self, path: &str) -> Result<String, String> {
        match self.open.get(Path::new(path)) {
            Some(text) => Ok(text.clone()),
            None => std::fs::read_to_string(path).map_err(|e| crate::discover::io_message(&e)),
        }
    }
}

struct Server {
    roots: Vec<PathBuf>,
    buffers: Buffers,
    workspace: Option<Workspace>,
    /// The configuration that applies in each directory, found once.
    settings: HashMap<PathBuf, Settings>,
    /// A configuration file that could not be read, and why: shown as a diagnostic on it.
    config_errors: HashMap<PathBuf, String>,
    /// What was last published for each document, so only changes are sent.
    published: HashMap<PathBuf, Vec<Diagnostic>>,
    /// What each Rust source's crate calls the crates it depends on, from the manifests read
    /// when the workspace was opened.
    crate_names: HashMap<PathBuf, std::sync::Arc<scoped_db_engine::CrateNames>>,
}

impl Server {
    fn new(roots: Vec<PathBuf>) -> Server {
        Server {
            roots,
            buffers: Buffers::default(),
            workspace: None,
            settings: HashMap::new(),
            config_errors: HashMap::new(),
            published: HashMap::new(),
            crate_names: HashMap::new(),
        }
    }

    /// The settings for a file: the nearest configuration above it, as `check` finds it.
    fn settings_for(&mut self, path: &Path) -> Settings {
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        if let Some(s) = self.settings.get(&dir) {
            return s.clone();
        }
        let settings = match config::for_root(path, None) {
            Ok(s) => s,
            Err(e) => {
                let file = config_file_above(path).unwrap_or_else(|| dir.join("scoped-db.toml"));
                self.config_errors.insert(file, e.to_string());
                config::defaults(dir.clone())
            }
        };
        self.settings.insert(dir, settings.clone());
        settings
    }

    fn options_for(&mut self, path: &Path) -> Options {
        let settings = self.settings_for(path);
        settings.options(
            false,
            self.crate_names.get(path).cloned().unwrap_or_default(),
        )
    }

    /// Reads every source of the workspace folders, found the way `check` finds them.
    fn open_workspace(&mut self, connection: &Connection) {
        let mut files = Vec::new();
        for root in self.roots.clone() {
            let settings = self.settings_for(&root.join("."));
            let excluded = |p: &Path| settings.excludes_itself(p);
            let (found, _) = discover(
                std::slice::from_ref(&root),
                &Walk {
                    include_tests: settings.include_tests,
                    respect_ignore: true,
                    follow_links: false,
                    excluded: &excluded,
                    force_exclude: false,
                },
            );
            files.extend(found);
        }
        let written: Vec<String> = files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let pairs: Vec<(&Path, &str)> = files
            .iter()
            .zip(&written)
            .map(|(p, w)| (p.as_path(), w.as_str()))
            .collect();
        let (names, problems) =
            scoped_db_engine::manifests::crate_names(&pairs, &mut |p| std::fs::read_to_string(p));
        self.crate_names = files.iter().cloned().zip(names).collect();
        for p in problems {
            log(
                connection,
                &format!(
                    "scoped-db: {}: {}; calls into the crates it names are not followed",
                    p.path.display(),
                    p.reason
                ),
            );
        }
        let sources: Vec<(String, Options)> = files
            .into_iter()
            .map(|p| {
                let options = self.options_for(&p);
                (p.to_string_lossy().into_owned(), options)
            })
            .collect();
        let buffers = &self.buffers;
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Workspace::open(sources, buffers)
        }));
        match opened {
            Ok(ws) => self.workspace = Some(ws),
            Err(_) => log(
                connection,
                "scoped-db: internal error while reading the workspace",
            ),
        }
        self.publish_config_errors(connection);
    }

    fn request(&mut self, req: Request) -> Response {
        let id: RequestId = req.id.clone();
        match req.method.as_str() {
            "textDocument/codeAction" => {
                match serde_json::from_value::<CodeActionParams>(req.params) {
                    Ok(params) => Response::new_ok(id, self.code_actions(&params)),
                    Err(e) => Response::new_err(id, -32602, e.to_string()),
                }
            }
            "workspace/executeCommand" => {
                match serde_json::from_value::<ExecuteCommandParams>(req.params) {
                    Ok(params) if params.command == EXPLAIN => {
                        let docs = params
                            .arguments
                            .first()
                            .and_then(|a| a.as_str())
                            .and_then(Rule::from_name)
                            .map(|r| {
                                let info = r.info();
                                format!("{} {}\n\n{}", info.code, info.name, info.docs)
                            });
                        Response::new_ok(id, docs)
                    }
                    Ok(params) => {
                        Response::new_err(id, -32601, format!("unknown command {}", params.command))
                    }
                    Err(e) => Response::new_err(id, -32602, e.to_string()),
                }
            }
            other => Response::new_err(id, -32601, format!("unsupported request {other}")),
        }
    }

    /// Applies a notification; the files whose text changed.
    fn notification(&mut self, connection: &Connection, note: Notification) -> Vec<PathBuf> {
        match note.method.as_str() {
            "textDocument/didOpen" => {
                let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(note.params) else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.buffers.open.insert(path.clone(), p.text_document.text);
                vec![path]
            }
            "textDocument/didChange" => {
                let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(note.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.buffers.open.insert(path.clone(), change.text);
                }
                vec![path]
            }
            "textDocument/didSave" => {
                let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(note.params) else {
                    return Vec::new();
                };
                uri_to_path(&p.text_document.uri).into_iter().collect()
            }
            "textDocument/didClose" => {
                let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(note.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_to_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                self.buffers.open.remove(&path);
                // Closed: the file on disk is what the workspace holds again; nothing is shown.
                self.publish(connection, &path, Vec::new());
                vec![path]
            }
            "workspace/didChangeWatchedFiles" => {
                // A configuration may have changed: read every setting again, and clear what was
                // shown on a configuration that is now fine.
                let shown: Vec<PathBuf> = self.config_errors.keys().cloned().collect();
                self.settings.clear();
                self.config_errors.clear();
                self.open_workspace(connection);
                for path in shown {
                    if !self.config_errors.contains_key(&path) {
                        self.publish(connection, &path, Vec::new());
                    }
                }
                self.buffers.open.keys().cloned().collect()
            }
            _ => Vec::new(),
        }
    }

    /// Updates the workspace for `changed` and publishes what differs for the open documents.
    fn recheck(&mut self, connection: &Connection, changed: &[PathBuf]) {
        for path in changed {
            if !scoped_db_engine::is_source_path(&path.to_string_lossy()) {
                continue;
            }
            let options = self.options_for(path);
            let Some(ws) = self.workspace.as_mut() else {
                continue;
            };
            let key = path.to_string_lossy().into_owned();
            let buffers = &self.buffers;
            let updated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if buffers.open.contains_key(path) || path.exists() {
                    ws.update(&key, options, buffers);
                } else {
                    ws.remove(&key, buffers);
                }
            }));
            if updated.is_err() {
                log(
                    connection,
                    &format!("scoped-db: internal error while checking {key}; please report it"),
                );
            }
        }
        let open: Vec<PathBuf> = self.buffers.open.keys().cloned().collect();
        for path in open {
            let diagnostics =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.diagnostics(&path)))
                    .unwrap_or_else(|_| {
                        log(
                            connection,
                            "scoped-db: internal error while showing findings",
                        );
                        Vec::new()
                    });
            self.publish(connection, &path, diagnostics);
        }
    }

    fn publish(&mut self, connection: &Connection, path: &Path, diagnostics: Vec<Diagnostic>) {
        if self.published.get(path) == Some(&diagnostics) {
            return;
        }
        self.published
            .insert(path.to_path_buf(), diagnostics.clone());
        let Some(uri) = path_to_uri(path) else {
            return;
        };
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        let _ = connection
            .sender
            .send(Message::Notification(Notification::new(
                "textDocument/publishDiagnostics".into(),
                params,
            )));
    }

    fn publish_config_errors(&mut self, connection: &Connection) {
        let errors: Vec<(PathBuf, String)> = self
            .config_errors
            .iter()
            .map(|(p, m)| (p.clone(), m.clone()))
            .collect();
        for (path, message) in errors {
            let diagnostic = Diagnostic {
                range: Range::default(),
                severity: Some(DiagnosticSeverity::ERROR),
                code: Some(NumberOrString::String("config".into())),
                source: Some("scoped-db".into()),
                message,
                ..Diagnostic::default()
            };
            self.publish(connection, &path, vec![diagnostic]);
        }
    }

    /// The diagnostics of one open document: its findings (severity from its configuration,
    /// suppression comments applied) or why it could not be checked.
    fn diagnostics(&mut self, path: &Path) -> Vec<Diagnostic> {
        let Some(text) = self.buffers.open.get(path).cloned() else {
            return Vec::new();
        };
        let settings = self.settings_for(path);
        let Some(ws) = self.workspace.as_ref() else {
            return Vec::new();
        };
        let key = path.to_string_lossy();
        if let Some(e) = ws.error(&key) {
            let at = e.position.unwrap_or(LineCol { line: 1, column: 1 });
            let position = lsp_position(&text, at);
            return vec![Diagnostic {
                range: Range::new(position, position),
                severity: Some(DiagnosticSeverity::ERROR),
                source: Some("scoped-db".into()),
                message: format!("cannot check this file: {}", e.message),
                ..Diagnostic::default()
            }];
        }
        let suppressions = suppress::parse(&text, key.ends_with(".py"));
        let uri = path_to_uri(path);
        ws.findings(&key)
            .into_iter()
            .filter_map(
                |f| match settle(f, &settings, Some((&suppressions, &text))) {
                    Settled::Kept(severity) => Some(diagnostic(f, severity, &text, uri.as_ref())),
                    Settled::Off | Settled::Suppressed(_) => None,
                },
            )
            .collect()
    }

    fn code_actions(&mut self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let Some(path) = uri_to_path(&params.text_document.uri) else {
            return Vec::new();
        };
        let Some(text) = self.buffers.open.get(&path).cloned() else {
            return Vec::new();
        };
        let python = path.extension().is_some_and(|e| e == "py");
        let Some(ws) = self.workspace.as_ref() else {
            return Vec::new();
        };
        let key = path.to_string_lossy().into_owned();
        let uri = params.text_document.uri.clone();
        let mut actions = Vec::new();
        for f in ws.findings(&key) {
            let range = lsp_range(&text, f.primary.span);
            let wanted = params.range;
            if range.end.line < wanted.start.line || range.start.line > wanted.end.line {
                continue;
            }
            let info = f.rule.info();
            let comment = if python { "#" } else { "//" };
            // Suppress on the line before the finding, indented like it.
            let line = f.primary.span.start.line;
            let indent: String = text
                .lines()
                .nth(line - 1)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            let insert_at = Position::new((line - 1) as u32, 0);
            actions.push(edit_action(
                format!("Suppress {} ({}) on this line", info.code, info.name),
                &uri,
                insert_at,
                format!(
                    "{indent}{comment} scoped-db: allow({}) TODO: why\n",
                    info.name
                ),
            ));
            // Mark the function: the attribute in Rust, a comment on the function in Python.
            let fn_line = f.function_span.start.line;
            let fn_indent: String = text
                .lines()
                .nth(fn_line - 1)
                .unwrap_or("")
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            let name = f.function.rsplit([':', '.']).next().unwrap_or(&f.function);
            let above = attributes_start(&text, fn_line);
            let (title, inserted) = if python {
                (
                    format!("Allow `{name}` to hand out handles"),
                    format!(
                        "{fn_indent}# scoped-db: allow({}) hands handles out on purpose\n",
                        info.name
                    ),
                )
            } else {
                (
                    format!("Mark `{name}` as a provider"),
                    format!("{fn_indent}#[scoped_db::provider]\n"),
                )
            };
            actions.push(edit_action(
                title,
                &uri,
                Position::new((above - 1) as u32, 0),
                inserted,
            ));
            actions.push(CodeActionOrCommand::Command(Command {
                title: format!("Explain {} ({})", info.code, info.name),
                command: EXPLAIN.to_string(),
                arguments: Some(vec![serde_json::Value::String(info.code.to_string())]),
            }));
        }
        actions
    }
}

/// The first line of the attributes and doc comments right above line `fn_line` (1-based), where
/// a new attribute goes.
fn attributes_start(text: &str, fn_line: usize) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut line = fn_line;
    while line > 1 {
        let above = lines.get(line - 2).map_or("", |l| l.trim_start());
        if above.starts_with("#[") || above.starts_with("///") || above.starts_with('@') {
            line -= 1;
        } else {
            break;
        }
    }
    line
}

fn edit_action(title: String, uri: &Uri, at: Position, text: String) -> CodeActionOrCommand {
    let edit = TextEdit {
        range: Range::new(at, at),
        new_text: text,
    };
    CodeActionOrCommand::CodeAction(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        edit: Some(WorkspaceEdit {
            changes: Some(std::iter::once((uri.clone(), vec![edit])).collect()),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    })
}

fn diagnostic(
    f: &Finding<Location>,
    severity: Severity,
    text: &str,
    uri: Option<&Uri>,
) -> Diagnostic {
    let info = f.rule.info();
    let href = format!(
        "{}#{}-{}",
        env!("CARGO_PKG_REPOSITORY"),
        info.code.to_lowercase(),
        info.name
    );
    Diagnostic {
        range: lsp_range(text, f.primary.span),
        severity: Some(match severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(info.code.to_string())),
        code_description: href.parse().ok().map(|href| CodeDescription { href }),
        source: Some("scoped-db".into()),
        message: format!("{} [{}]\nhelp: {}", f.message, info.name, f.help),
        related_information: uri.map(|uri| {
            f.related
                .iter()
                .map(|r| DiagnosticRelatedInformation {
                    location: lsp_types::Location::new(uri.clone(), lsp_range(text, r.span)),
                    message: r.message.clone(),
                })
                .collect()
        }),
        ..Diagnostic::default()
    }
}

/// A position as LSP counts it: 0-based line, UTF-16 code units into the line.
fn lsp_position(text: &str, at: LineCol) -> Position {
    let line = text
        .split('\n')
        .nth(at.line.saturating_sub(1))
        .unwrap_or("");
    let character: usize = line
        .chars()
        .take(at.column.saturating_sub(1))
        .map(char::len_utf16)
        .sum();
    Position::new(at.line.saturating_sub(1) as u32, character as u32)
}

fn lsp_range(text: &str, span: Location) -> Range {
    Range::new(lsp_position(text, span.start), lsp_position(text, span.end))
}

fn log(connection: &Connection, message: &str) {
    let _ = connection
        .sender
        .send(Message::Notification(Notification::new(
            "window/logMessage".into(),
            ShowMessageParams {
                typ: MessageType::ERROR,
                message: message.to_string(),
            },
        )));
}

/// The configuration file whose settings apply at `path`, if any.
fn config_file_above(path: &Path) -> Option<PathBuf> {
    let start = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    start.ancestors().skip(1).find_map(config::file_in)
}

/// `file:///a%20b/c.rs` to `/a b/c.rs`.
fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let mut bytes = Vec::with_capacity(rest.len());
    let raw = rest.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%'
            && let Some(hex) = rest.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            bytes.push(b);
            i += 3;
            continue;
        }
        bytes.push(raw[i]);
        i += 1;
    }
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

/// `/a b/c.rs` to `file:///a%20b/c.rs`.
fn path_to_uri(path: &Path) -> Option<Uri> {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().ok()?.join(path)
    };
    crate::report::uri(&absolute.to_string_lossy()).parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_from_zero() {
        let text = "a\n\t😀 x = 1\n";
        assert_eq!(
            lsp_position(text, LineCol { line: 2, column: 4 }),
            Position::new(1, 4)
        );
        assert_eq!(
            lsp_position(text, LineCol { line: 1, column: 1 }),
            Position::new(0, 0)
        );
    }

    #[test]
    fn paths_and_uris_round_trip() {
        let path = PathBuf::from("/tmp/my dir/ü%.rs");
        let uri = path_to_uri(&path).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/my%20dir/%C3%BC%25.rs");
        assert_eq!(uri_to_path(&uri), Some(path));
    }
}
