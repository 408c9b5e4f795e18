// Starts `scoped-db server` for Rust and Python files. Install with:
//   cd editors/vscode && npm install && npx @vscode/vsce package && code --install-extension scoped-db-0.1.0.vsix
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("scoped-db").get("path") || "scoped-db";
  client = new LanguageClient(
    "scoped-db",
    "scoped-db",
    { command, args: ["server"] },
    {
      documentSelector: [
        { scheme: "file", language: "rust" },
        { scheme: "file", language: "python" },
      ],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/{scoped-db.toml,pyproject.toml,Cargo.toml}"),
      },
    },
  );
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
