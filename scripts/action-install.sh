#!/usr/bin/env bash
# Installs scoped-db for the GitHub Action (action.yml), fastest first:
#   1. SCOPED_DB_SOURCE set: build that checkout with cargo (the one case that compiles on purpose);
#   2. the release archive for this runner's OS and architecture, its SHA-256 checked;
#   3. the wheel, with pip, into a virtual environment of its own;
#   4. the Action's own source with cargo (a commit that has no release).
# The version is SCOPED_DB_VERSION, else the Action's own (its Cargo.toml), so the Action and the
# checker it installs move together; a version that is a git revision instead (`main`, a commit)
# is built from the repository at that revision with cargo. A checksum that does not match stops
# the install: it is never retried another way. Prints the binary's path, and writes it as the
# `path` output when run by the Action.
#
# Environment: SCOPED_DB_VERSION, SCOPED_DB_SOURCE, SCOPED_DB_RELEASES (where releases are
# downloaded from: `<base>/v<version>/<archive>`), SCOPED_DB_GIT (the repository, for a git
# revision), SCOPED_DB_TARGET (the target triple, else the runner's), SCOPED_DB_INSTALL_DIR (else a
# directory under RUNNER_TEMP), ACTION_PATH (the Action's checkout, else this script's repository).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
action_path=${ACTION_PATH:-$here}
releases=${SCOPED_DB_RELEASES:-https://github.com/scoped-db/scoped-db/releases/download}
repository=${SCOPED_DB_GIT:-https://github.com/scoped-db/scoped-db}

say() { echo "scoped-db: $*" >&2; }

# The version in the Action's own Cargo.toml ([workspace.package]).
own_version() {
  sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$action_path/Cargo.toml" | head -n 1
}

version=${SCOPED_DB_VERSION:-}
version=${version#v}
[ -n "$version" ] || version=$(own_version)
if [ -z "$version" ]; then
  say "cannot tell which version to install: set \`version\`"
  exit 1
fi
dir=${SCOPED_DB_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/scoped-db-$version}
mkdir -p "$dir"

exe=scoped-db
case "${RUNNER_OS:-$(uname -s)}" in
  Windows | MINGW* | MSYS* | CYGWIN*) exe=scoped-db.exe ;;
esac

# The target triple of the archive that runs here.
target() {
  local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
  case "$arch" in
    X64 | x86_64 | amd64) arch=x86_64 ;;
    ARM64 | aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    Linux)
      # musl-based systems (Alpine containers) get the static build.
      if ldd --version 2>&1 | grep -qi musl; then echo "$arch-unknown-linux-musl"; else echo "$arch-unknown-linux-gnu"; fi ;;
    macOS | Darwin) echo "$arch-apple-darwin" ;;
    Windows | MINGW* | MSYS* | CYGWIN*) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" ;;
    *) return 1 ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# 2. The release archive. Returns 1 when there is none to download; exits on a bad checksum.
from_archive() {
  local triple archive url work expected actual
  triple=${SCOPED_DB_TARGET:-$(target)} || { say "no release archive for this runner"; return 1; }
  case "$triple" in *windows*) archive=scoped-db-$triple.zip ;; *) archive=scoped-db-$triple.tar.gz ;; esac
  url=$releases/v$version/$archive
  work=$(mktemp -d)
  if ! curl --fail --silent --show-error --location --retry 3 --output "$work/$archive" "$url" \
    || ! curl --fail --silent --show-error --location --retry 3 --output "$work/$archive.sha256" "$url.sha256"; then
    say "no release archive at $url"
    rm -rf "$work"
    return 1
  fi
  expected=$(cut -d' ' -f1 < "$work/$archive.sha256")
  actual=$(sha256 "$work/$archive")
  if [ -z "$expected" ] || [ "$expected" != "$actual" ]; then
    say "checksum mismatch for $url: expected ${expected:-nothing}, got $actual; not installing"
    rm -rf "$work"
    exit 1
  fi
  case "$archive" in
    *.zip) if command -v unzip >/dev/null 2>&1; then unzip -q -o "$work/$archive" -d "$work"; else
        pwsh -NoProfile -Command "Expand-Archive -Force -Path '$work/$archive' -DestinationPath '$work'"; fi ;;
    *) tar -xzf "$work/$archive" -C "$work" ;;
  esac
  mkdir -p "$dir/bin"
  mv -f "$work/scoped-db-$triple/$exe" "$dir/bin/$exe"
  chmod +x "$dir/bin/$exe"
  rm -rf "$work"
  say "installed $version from $url (sha256 $actual)"
  bin=$dir/bin/$exe
}

# 3. The wheel from the Python registry, in a virtual environment of its own.
from_wheel() {
  local python
  python=$(command -v python3 || command -v python) || return 1
  "$python" -m venv "$dir/venv" >&2 || return 1
  local scripts=$dir/venv/bin
  [ -d "$scripts" ] || scripts=$dir/venv/Scripts
  "$scripts/python" -m pip install --quiet --disable-pip-version-check --only-binary :all: "scoped-db==$version" >&2 || return 1
  say "installed $version from the Python registry"
  bin=$scripts/$exe
}

# 1 and 4. cargo, from a checkout.
from_source() {
  cargo install --locked --root "$dir" --path "$1" --bin scoped-db >&2
  bin=$dir/bin/$exe
}

# cargo, from the repository at a git revision (a commit, else a branch or tag).
from_git() {
  cargo install --locked --root "$dir" --git "$repository" --rev "$1" --bin scoped-db scoped-db-cli >&2 \
    || cargo install --locked --root "$dir" --git "$repository" --branch "$1" --bin scoped-db scoped-db-cli >&2
  bin=$dir/bin/$exe
}

bin=""
if [ -n "${SCOPED_DB_SOURCE:-}" ]; then
  from_source "$SCOPED_DB_SOURCE"
elif ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  say "$version is not a release: building that revision of $repository with cargo"
  from_git "$version"
elif ! from_archive && ! from_wheel; then
  say "no release of $version to download: building the Action's own source with cargo"
  from_source "$action_path"
fi

"$bin" --version >&2
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "path=$bin" >> "$GITHUB_OUTPUT"
fi
echo "$bin"
