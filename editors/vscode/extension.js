// Starts `scoped-db server` for Rust and Python files. Packaged per platform with the binary inside
// by scripts/package-vsix.sh (the release attaches one .vsix per platform).
const fs = require("fs");
const path = require("path");
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

// The binary to run: the `scoped-db.path` setting, else the one this package carries, else
// `scoped-db` on PATH.
function binary(context) {
  const configured = vscode.workspace.getConfiguration("scoped-db").get("path");
  if (configured) {
    return configured;
  }
  const exe = process.platform === "win32" ? "scoped-db.exe" : "scoped-db";
  const bundled = context.asAbsolutePath(path.join("bin", exe));
  return fs.existsSync(bundled) ? bundled : "scoped-db";
}

function activate(context) {
  const command = binary(context);
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
