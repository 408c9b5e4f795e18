#!/usr/bin/env bash
# The real-code review loop: fetches, with cargo, the sources of widely used crates (database
# crates and their dependencies) into an ignored folder, checks them all in ONE run (as a vendored
# tree or a monorepo would be checked), and prints the findings grouped by crate. Every finding it
# prints is reviewed by hand; a wrong one becomes a fixture before its fix.
#
#   scripts/realworld.sh            # fetch (once) and check
#   scripts/realworld.sh --json     # the raw JSON report instead of the grouped summary
set -euo pipefail
cd "$(dirname "$0")/.."
work=realworld
mkdir -p "$work/corpus/src"
cat > "$work/corpus/Cargo.toml" <<'TOML'
[package]
name = "scoped-db-realworld-corpus"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
sqlx = { version = "0.8", default-features = false, features = ["runtime-tokio", "postgres", "mysql", "sqlite", "migrate", "macros"] }
diesel = { version = "2", features = ["postgres", "r2d2"] }
diesel-async = { version = "0.5", features = ["postgres", "deadpool", "bb8", "mobc"] }
sea-orm = { version = "1", default-features = false, features = ["runtime-tokio-rustls", "sqlx-postgres"] }
deadpool-postgres = "0.14"
deadpool-redis = "0.18"
bb8 = "0.9"
bb8-postgres = "0.9"
r2d2 = "0.8"
r2d2_postgres = "0.18"
tokio-postgres = "0.7"
postgres = "0.19"
rusqlite = "0.32"
mongodb = "3"
redis = "0.27"
serde = { version = "1", features = ["derive"] }
serde_json = "1"
tokio = { version = "1", features = ["full"] }
axum = "0.7"
TOML
echo "fn main() {}" > "$work/corpus/src/main.rs"
if [ ! -d "$work/vendor" ]; then
  (cd "$work/corpus" && cargo vendor --versioned-dirs --quiet ../vendor >/dev/null)
fi
# Applications and application-level crates that use the libraries (where the real hazards are):
# lemmy's database layer (diesel-async + deadpool), atuin's server (sqlx), job and session stores.
# (Published crates carry no path dependencies, so these are checked one crate at a time; the
# workspaces below are checked whole.)
mkdir -p "$work/apps-corpus/src"
cat > "$work/apps-corpus/Cargo.toml" <<'TOML'
[package]
name = "scoped-db-realworld-apps"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
lemmy_db_schema = { version = "0.19", features = ["full"] }
atuin-server-postgres = "18"
tower-sessions-sqlx-store = { version = "0.15", features = ["postgres"] }
apalis-sql = { version = "0.7", features = ["postgres"] }
TOML
echo "fn main() {}" > "$work/apps-corpus/src/main.rs"
if [ ! -d "$work/apps" ]; then
  (cd "$work/apps-corpus" && cargo vendor --versioned-dirs --quiet ../apps >/dev/null)
  # Only the application crates: their dependencies are in the library corpus already.
  find "$work/apps" -mindepth 1 -maxdepth 1 -type d \
    ! -name 'lemmy_*' ! -name 'atuin-*' ! -name 'tower-sessions-*' ! -name 'apalis-*' \
    -exec rm -rf {} +
fi

# Python: the sources of the libraries the Python door knows, from PyPI.
if [ ! -d "$work/pypi" ]; then
  mkdir -p "$work/pypi"
  (cd "$work/pypi" &&
    python3 -m pip download --quiet --no-deps --no-binary :all: \
      sqlalchemy==2.0.36 asyncpg psycopg psycopg-pool alembic fastapi sqlmodel aiosqlite databases &&
    for f in *.tar.gz; do tar xzf "$f" && rm "$f"; done)
fi
# Whole workspaces of real applications that use a database crate, as their repositories have them
# (every Cargo.toml with its path dependencies, so calls and types across their crates are
# followed): cloned once at a pinned commit. A workspace that cannot be cloned (no network to
# GitHub) is named and left out; put a checkout at realworld/workspaces/NAME to use it.
workspaces=(
  "lemmy https://github.com/LemmyNet/lemmy 439734dd638a2c06a2f907beab7dcf4646e88f86"
  "crates.io https://github.com/rust-lang/crates.io 57fa000662f511321daa61e6769f190ea0e80771"
)
checked_workspaces=()
mkdir -p "$work/workspaces"
for entry in "${workspaces[@]}"; do
  read -r name url commit <<<"$entry"
  dir="$work/workspaces/$name"
  if [ ! -d "$dir" ]; then
    if ! (git clone --quiet "$url" "$dir" && git -C "$dir" checkout --quiet "$commit") 2>/dev/null; then
      echo "realworld: could not clone $url; $name is not checked" >&2
      rm -rf "$dir"
      continue
    fi
  fi
  checked_workspaces+=("$dir")
done
cargo build --release --quiet
bin=target/release/scoped-db
files=$(find "$work/vendor" -name '*.rs' | wc -l)
pyfiles=$(find "$work/pypi" -name '*.py' | wc -l)
echo "checking $files .rs files under $work/vendor, the apps and ${#checked_workspaces[@]} workspaces, and $pyfiles .py files under $work/pypi in one run" >&2
report="$work/report.json"
start=$(date +%s.%N)
"$bin" check --format json "$work/vendor" "$work/apps" "${checked_workspaces[@]}" "$work/pypi" > "$report" || true
end=$(date +%s.%N)
echo "took $(echo "$end - $start" | bc) s" >&2
if [ "${1:-}" = "--json" ]; then
  cat "$report"
  exit 0
fi
python3 - "$report" <<'PY'
import json, sys, collections
report = json.load(open(sys.argv[1]))
by_crate = collections.defaultdict(list)
for f in report["findings"]:
    parts = f["path"].split("/")
    top = next((t for t in ("vendor", "apps", "workspaces", "pypi") if t in parts), parts[0])
    crate = parts[parts.index(top) + 1] if top in parts else parts[0]
    by_crate[crate].append(f)
for crate in sorted(by_crate):
    print(f"== {crate}: {len(by_crate[crate])}")
    for f in by_crate[crate]:
        print(f'  {f["rule"]} {f["path"]}:{f["line"]}:{f["column"]} {f["function"]}: {f["message"]}')
s = report["summary"]
print(f'{s["findings"]} findings, {s["errors"]} errors, {s["files_checked"]} files checked')
PY
