#!/usr/bin/env bash
# The packages, checked the way their users get them (run by .ci/run; needs Python 3.8+, git, curl
# and the registries). Everything it makes stays under target/packaging/.
#   1. the workflows and the Action: GitHub's schemas and zizmor, offline;
#   2. the wheel (manylinux 2.17 through zig) and the source distribution: twine, check-wheel-contents,
#      auditwheel;
#   3. the wheel installed with pip into a fresh virtual environment, and with `uv tool install`,
#      each run with no cargo or rustc on PATH: the Python seed's 3 findings, exit status 1;
#   4. pre-commit's `scoped-db-wheel` hook through `pre-commit try-repo`, the wheel found through
#      PIP_FIND_LINKS: a staged escape fails, its fix passes, a staged wrapper of an unstaged
#      helper is reported (and the helper is not);
#   5. the Action's install step run by hand against a local release archive made from the wheel,
#      without cargo, and refusing an archive whose checksum does not match;
#   6. the VS Code extension packaged for linux-x64 (scripts/package-vsix.sh) holds the released
#      binary (executable, byte for byte), its manifest, the language client and the licences;
#   7. the crates hold their sources and docs only (`cargo package --list`), and
#      `cargo publish --dry-run --workspace` passes.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/packaging
rm -rf "$work"
mkdir -p "$work"
version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
# Each step is one check; the last line counts them the way test runners do.
passed=0
current=""
step() {
  [ -z "$current" ] || passed=$((passed + 1))
  current=$*
  printf '\n== %s\n' "$*"
}
finish() {
  local status=$?
  if [ "$status" = 0 ]; then
    echo "packaging: $((passed + 1)) passed, 0 failed"
  else
    echo "packaging: $passed passed, 1 failed (${current:-setup})"
  fi
}
trap finish EXIT
fail() { echo "packaging: $*" >&2; exit 1; }
# A shell with nothing of Rust on PATH: only the given directory and the system's.
bare() { local path=$1; shift; env -i HOME="$work/home" LANG=C.UTF-8 PATH="$path:/usr/bin:/bin" "$@"; }
mkdir -p "$work/home"
if bare /nonexistent sh -c 'command -v cargo || command -v rustc'; then
  fail "cargo or rustc is in /usr/bin or /bin: the installs below would not prove they need no Rust"
fi

step "tools"
python3 -m venv "$work/tools"
"$work/tools/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/packaging-requirements.txt
export PATH="$work/tools/bin:$PATH"

step "workflows and the Action: schemas and zizmor"
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
check-jsonschema --builtin-schema vendor.github-actions action.yml
zizmor --offline --no-progress .github/workflows/ action.yml
if command -v shellcheck >/dev/null 2>&1; then
  shellcheck scripts/*.sh .ci/run
fi

step "wheel and source distribution"
(cd python && maturin build --release --locked --zig --compatibility manylinux2014 --out "$work/dist")
# (maturin 1.16 prints "manifest path `Cargo.toml` does not exist" first, before it reads
# pyproject.toml's manifest-path; the archive is then built from ../Cargo.toml and checked below.)
(cd python && maturin sdist --out "$work/dist")
wheel=$(ls "$work"/dist/scoped_db-"$version"-*.whl)
sdist=$work/dist/scoped_db-$version.tar.gz
twine check --strict "$wheel" "$sdist"
check-wheel-contents "$wheel"
auditwheel show "$wheel" | tee "$work/auditwheel.txt"
grep -Eq '"(manylinux|musllinux)_[0-9]+_[0-9]+_' "$work/auditwheel.txt" || fail "auditwheel names no manylinux or musllinux policy"
# The source distribution builds the binary: it holds the workspace's manifests, lock file and
# sources, and no fixtures.
tar -tzf "$sdist" > "$work/sdist.txt"
for f in Cargo.toml Cargo.lock build.rs src/main.rs crates/engine/Cargo.toml crates/engine/src/lib.rs scoped_db/__main__.py pyproject.toml; do
  grep -qx "scoped_db-$version/$f" "$work/sdist.txt" || fail "the source distribution has no $f"
done
if grep -q '/fixtures/' "$work/sdist.txt"; then fail "the source distribution holds fixtures"; fi

# The seed's three findings and exit status 1, from a command found on PATH.
seed() {
  local status=0
  "$@" check --format short fixtures/python/seed/before > "$work/seed.txt" || status=$?
  [ "$status" = 1 ] || fail "$*: exit status $status on the Python seed, expected 1"
  [ "$(grep -c ': SDB001 ' "$work/seed.txt")" = 3 ] || fail "$*: expected 3 findings, got: $(cat "$work/seed.txt")"
}

step "pip install into a fresh virtual environment, without Rust"
python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index "$wheel"
bare "$work/venv/bin" sh -c '! command -v cargo && ! command -v rustc' || fail "the fresh environment sees cargo"
bare "$work/venv/bin" scoped-db --version
seed bare "$work/venv/bin" scoped-db
seed bare "$work/venv/bin" python -m scoped_db

step "uv tool install"
UV_TOOL_DIR=$work/uv/tools UV_TOOL_BIN_DIR=$work/uv/bin UV_CACHE_DIR=$work/uv/cache UV_PYTHON_DOWNLOADS=never \
  uv tool install --offline "$wheel"
seed bare "$work/uv/bin" scoped-db

step "pre-commit try-repo with the scoped-db-wheel hook"
project=$work/project
mkdir -p "$project/app"
cd "$project"
git init --quiet
g() { git -c user.name=ci -c user.email=ci@localhost -c commit.gpgsign=false "$@"; }
hook() {
  PIP_FIND_LINKS=$work/dist PRE_COMMIT_HOME=$work/pre-commit-home \
    pre-commit try-repo "$root" scoped-db-wheel > "$work/hook.txt" 2>&1
}
touch app/__init__.py
cat > app/db.py <<'PY'
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://localhost/db")


async def open_conn():
    async with engine.begin() as conn:
        return conn
PY
g add app
if hook; then cat "$work/hook.txt"; fail "the hook passed a staged escape"; fi
grep -q 'app/db.py:8:16: SDB001' "$work/hook.txt" || { cat "$work/hook.txt"; fail "the hook did not report the staged escape"; }
cat > app/db.py <<'PY'
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://localhost/db")


async def count_users():
    async with engine.begin() as conn:
        result = await conn.execute("select count(*) from users")
        return result.scalar_one()
PY
g add app
hook || { cat "$work/hook.txt"; fail "the hook failed on the fix"; }
g commit --quiet -m "db"
# A helper that lets its connection escape, already in the repository (committed without the
# hook), and a new wrapper that passes it on: only the wrapper is staged.
cat > app/legacy.py <<'PY'
from app.db import engine


async def open_conn():
    async with engine.begin() as conn:
        return conn
PY
g add app/legacy.py
g commit --quiet --no-verify -m "legacy"
cat > app/service.py <<'PY'
from app.legacy import open_conn


async def conn_for_request():
    conn = await open_conn()
    return conn
PY
g add app/service.py
if hook; then cat "$work/hook.txt"; fail "the hook passed a staged wrapper of an unstaged helper"; fi
grep -q 'app/service.py:6:12: SDB001' "$work/hook.txt" || { cat "$work/hook.txt"; fail "the wrapper was not reported"; }
if grep -q 'app/legacy.py' "$work/hook.txt"; then cat "$work/hook.txt"; fail "the unstaged helper was reported"; fi
cd "$root"

step "the Action's install step against a local release archive, without cargo"
triple=$(rustc -vV | sed -n 's/^host: //p')
release=$work/release
python3 scripts/release-archive.py --target "$triple" --out "$release/v$version" "$wheel"
installed=$(bare /nonexistent env RUNNER_TEMP="$work/runner" SCOPED_DB_RELEASES="file://$release" \
  ACTION_PATH="$root" bash scripts/action-install.sh)
[ "$installed" = "$work/runner/scoped-db-$version/bin/scoped-db" ] || fail "installed to $installed"
seed bare /nonexistent "$installed"
# An archive that is not the one released is refused, and nothing else is tried.
cp -r "$release" "$work/tampered"
echo "0000000000000000000000000000000000000000000000000000000000000000  x" > "$work/tampered/v$version/scoped-db-$triple.tar.gz.sha256"
status=0
bare /nonexistent env RUNNER_TEMP="$work/runner2" SCOPED_DB_RELEASES="file://$work/tampered" \
  ACTION_PATH="$root" bash scripts/action-install.sh > /dev/null 2> "$work/tampered.txt" || status=$?
if [ "$status" != 1 ] || ! grep -q "checksum mismatch" "$work/tampered.txt"; then
  cat "$work/tampered.txt"
  fail "a bad checksum was not refused"
fi
[ ! -e "$work/runner2/scoped-db-$version/bin/scoped-db" ] || fail "a binary was installed despite the bad checksum"

step "the VS Code extension for linux-x64, with the released binary inside"
tar -xzf "$release/v$version/scoped-db-$triple.tar.gz" -C "$work"
bash scripts/package-vsix.sh linux-x64 "$work/scoped-db-$triple/scoped-db" "$work/scoped-db-linux-x64.vsix"
python3 - "$work/scoped-db-linux-x64.vsix" "$work/scoped-db-$triple/scoped-db" <<'PY' || fail "the .vsix lacks what it must hold"
import json, sys, zipfile
vsix, binary = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(vsix)
names = set(z.namelist())
# The binary, executable and byte for byte the released one.
exe = z.getinfo("extension/bin/scoped-db")
assert (exe.external_attr >> 16) & 0o111, "the binary is not executable"
assert z.read("extension/bin/scoped-db") == open(binary, "rb").read(), "not the released binary"
# The manifest: the extension's entry point, its setting, and the platform.
manifest = json.loads(z.read("extension/package.json"))
assert manifest["main"] == "./extension.js" and "extension/extension.js" in names, manifest
assert "scoped-db.path" in manifest["contributes"]["configuration"]["properties"]
assert 'TargetPlatform="linux-x64"' in z.read("extension.vsixmanifest").decode()
# The language client it runs, and the licences.
assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
licence = z.read("extension/LICENSE.txt").decode()
assert "Permission is hereby granted" in licence and "Apache License" in licence, "the licences"
print(f"vsix: {len(names)} files, the binary and the manifest checked")
PY
z_exe=$work/vsix-binary
python3 -c 'import sys, zipfile; open(sys.argv[2], "wb").write(zipfile.ZipFile(sys.argv[1]).read("extension/bin/scoped-db"))' \
  "$work/scoped-db-linux-x64.vsix" "$z_exe"
chmod +x "$z_exe"
bare /nonexistent "$z_exe" --version

step "the crates: sources and docs only, and cargo publish --dry-run --workspace"
cargo package --list --locked --workspace > "$work/crates.txt"
allowed='^(\.cargo_vcs_info\.json|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|LICENSE-MIT|LICENSE-APACHE|README\.md|CHANGELOG\.md|build\.rs|src/.+\.rs)$'
if grep -Ev "$allowed" "$work/crates.txt"; then fail "the crates above would ship more than their sources and docs"; fi
# In a target directory of its own: the packages it verifies would otherwise leave their binaries,
# built without a git checkout, where the tests look for the workspace's. A new one each run: cargo
# unpacks the packages it verifies into its own cache under a name made from this directory and
# the version, and would build a stale copy of an unchanged version from an earlier run.
publish_target=$(mktemp -d "$work/publish-target.XXXXXX")
CARGO_TARGET_DIR=$publish_target cargo publish --dry-run --locked --workspace
rm -rf "$publish_target"
echo "packaging: the wheel is $(basename "$wheel")"
