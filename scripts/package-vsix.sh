#!/usr/bin/env bash
# The VS Code extension (editors/vscode) as a .vsix for one platform, with the scoped-db binary
# inside, so installing the extension is all a user does:
#
#   scripts/package-vsix.sh PLATFORM BINARY OUT.vsix
#
# PLATFORM is VS Code's target (linux-x64, linux-arm64, alpine-x64, alpine-arm64, darwin-x64,
# darwin-arm64, win32-x64); BINARY the scoped-db (or scoped-db.exe) built for it. The extension
# runs the binary it carries, else the `scoped-db.path` setting, else `scoped-db` on PATH. vsce
# and the language client come from the npm registry, at the versions pinned here.
set -euo pipefail
platform=$1 binary=$2 out=$3
root=$(cd "$(dirname "$0")/.." && pwd)
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/editors/vscode/package.json" "$root/editors/vscode/extension.js" \
  "$root/editors/vscode/README.md" "$work/"
# The licences: vsce wants one LICENSE file; both texts are in it, as the project is either.
{
  echo "scoped-db is licensed under either of the MIT license or the Apache License 2.0, at your option."
  echo
  cat "$root/LICENSE-MIT"
  echo
  cat "$root/LICENSE-APACHE"
} > "$work/LICENSE"
mkdir -p "$work/bin"
exe=scoped-db
case "$platform" in win32-*) exe=scoped-db.exe ;; esac
cp "$binary" "$work/bin/$exe"
chmod 755 "$work/bin/$exe"
cd "$work"
npm install --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
npx --yes @vscode/vsce@3.9.2 package --target "$platform" --out "$out" >/dev/null
echo "package-vsix: $out"
