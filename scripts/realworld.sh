#!/usr/bin/env bash
# The real-code review loop: fetches, with cargo, the sources of widely used crates (database
# crates and their dependencies) into an ignored folder, checks them all in ONE run (as a vendored
# tree or a monorepo would be checked), and prints the findings grouped by crate. Every finding it
# prints is reviewed by hand; a wrong one becomes a fixture before its fix.
#
#   scripts/realworld.sh            # fetch (once) and check
#   scripts/realworld.sh --json     # the raw JSON report instead of the grouped summary
#   scripts/realworld.sh --fetch-only  # fetch (once) and stop
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
# Real Python applications, checked whole (their `.py` files and `.gitignore`s at a pinned commit),
# chosen across frameworks and drivers: web services over SQLAlchemy (sync and async), Django,
# Flask-SQLAlchemy, asyncpg, psycopg 3 and sqlite3, bots, and gradio and Streamlit apps whose many
# `with` blocks are not a database's. Fetched from GitHub, or from a directory of bare mirrors
# named `owner+name/repo` (REALWORLD_MIRROR=/work/.mirror); put a tree at
# realworld/python-apps/NAME to use your own.
python_apps=(
  "dispatch Netflix/dispatch dd2837e82a0bf5565b1b4b4b91ea30b7262d4061"
  "mealie mealie-recipes/mealie b5643a9399465d8b4ea339e7a6639df2d697741b"
  "chainlit Chainlit/chainlit 488b74579ace74ad917556a1560e9db68e011219"
  "langchain-chatchat chatchat-space/Langchain-Chatchat 49165d6af4438aa7e8a1f71ce276db55f4405151"
  "ctfd CTFd/CTFd 91ced62d44d3ec3142a0948ee96ed19947cfc979"
  "healthchecks healthchecks/healthchecks 29b5ec251059034b79e0120e2ff0c3e35d7bd9f8"
  "redash getredash/redash ca79fe988d81cdac9675b412f3dfcab107bc1fbc"
  "beets beetbox/beets 07f39c5204997a356fd98b7e88ba9b185efb2e66"
  "datasette simonw/datasette 481df7ff6d78a8ccf919984d27f27201b081bd53"
  "aiohttp-demos aio-libs/aiohttp-demos 5362c18e9612c22f7af29c3d1246e20e89d25145"
  "langgraph langchain-ai/langgraph f09cfe8ffc1eeffd68f4b628ed69c30f7cad229f"
  "robodanny Rapptz/RoboDanny 39af9d71ffd5f099094a05352c18b987a1dc5d04"
  "red-discordbot Cog-Creators/Red-DiscordBot 4e27059209473118142a5a220b002353dc82d3e4"
  "fastchat lm-sys/FastChat 0e6d3e4beaab66f4d3f93db72541a4abab8af28d"
  "text-generation-webui oobabooga/text-generation-webui 1dcde41d03d13fc768316f4d2256a8a6dd044268"
  "spt-finance pingxg/spt-finance 5db2843ff2a6864bbe9b8ad8259def114c525ea5"
  "streamlit-agent langchain-ai/streamlit-agent 634e1cecf23d7ca3a4c5e708944673e057765b2a"
  "pgadmin4 pgadmin-org/pgadmin4 bc58657d3d3ab4209cdadea6d191b632cf1572cc"
  "mycli dbcli/mycli 8feb70a05f5d8f6e58d0487a99b9a1e763c74ee9"
  "images-browser AlUlkesh/stable-diffusion-webui-images-browser 88bfbe39979ddf8819b4d91ac6a14cc7538c993a"
  "chatter lllucius/chatter 50b364afc309c868d0d2af7f4b75ed2a1097d05d"
  # Added for the pool rules (SDB006, SDB007): SQLAlchemy async services with session factories
  # and workers, a scoped_session application (a look-alike), a project database wrapper.
  "polar polarsource/polar c6c3645e639ee8eeaa05aa0835cf8e39e330382f"
  "prefect PrefectHQ/prefect ce79dd3d6cfa2b7337265498210dbc4d25bcdc98"
  "freqtrade freqtrade/freqtrade c9ae5e1e9ff25bb55dd61f5e5519f7c479291edb"
  "lnbits lnbits/lnbits 7d98c6b0808efab3edafc21310ec34d1c38c23df"
  # Added for SDB008/SDB009: a FastAPI gateway whose routes hold sessions across backend HTTP
  # calls (its issues #2323, #2550), an LLM agent server over async SQLAlchemy (its archive
  # commit deletes every source, so its parent is pinned).
  "mcp-context-forge IBM/mcp-context-forge ecba50e4828ae0c83f8ef7b1d6d485b3cf39ce66"
  "letta letta-ai/letta 56ba9c25552605eec89de8ed3dc6394b625c1993"
)
# Real Rust services checked whole (their `.rs` files and manifests at a pinned commit), one or two
# per driver: rusqlite over r2d2 with spawn_blocking, deadpool-postgres, bb8-postgres, sea-orm,
# mysql_async, diesel-async over bb8, sqlx.
rust_apps=(
  "nostr-rs-relay scsibug/nostr-rs-relay 64cfcaf44af498bf7969a8be5d6f0115abf98e4a"
  "tobira elan-ev/tobira c6655b905a0885da0f7996543e484885dca1a00d"
  "geoengine geo-engine/geoengine c43647732595ea3935dfa7e2965d36b93fa36b95"
  "fpa-management LVRodrigues/fpa-management d93865d849b016955c51f264a77f3789b54e66bc"
  "kolomoni-backend Stari-kolomoni/kolomoni-backend 1d807bd2471a0ed9da786b26695295ba7fd3a806"
  "mixnmatch_rs magnusmanske/mixnmatch_rs 0843a19a82e3d192ac3a223e3d2c2937e1db1447"
  "pict-rs robinst/pict-rs 38a5b726064d32041222da4a5c34fbaafa456da2"
  # Added for the pool rules: sqlx services (transactions handed between helpers, advisory-lock
  # connections) and sea-orm services (closure transactions).
  "atuin atuinsh/atuin 824c8716d82bed774ee6a83c683087ae77715814"
  "zero2prod LukeMathWalker/zero-to-production 970987c5f793af6fc8e557731c9bbb23b620451e"
  "svix svix/svix-webhooks 4fc0cfb8b426c87ef7e2b937e7d896a71d456a47"
  "lldap lldap/lldap 9cc54ab03c5a044bfe574e30a6b6245d45c8e7b9"
  # Added for SDB009: diesel over r2d2 behind Rocket request guards, with reqwest push calls.
  "vaultwarden dani-garcia/vaultwarden 46d71107f5094460dd5ecbe1dbac6e6c71e5189a"
)
# Brings `repo` at `commit` into `dir`, only the files matching the patterns after it.
fetch_tree() {
  local name=$1 repo=$2 commit=$3 dir=$4
  shift 4
  local git_dir="${REALWORLD_MIRROR:-}/${repo/\//+}/repo"
  if [ -z "${REALWORLD_MIRROR:-}" ] || [ ! -d "$git_dir" ]; then
    git_dir="$(dirname "$dir")/.git-$name"
    [ -d "$git_dir" ] || git clone --quiet --bare --filter=blob:none "https://github.com/$repo" "$git_dir" 2>/dev/null || true
  fi
  mkdir -p "$dir"
  # Only what the checker reads; a snapshot may lack large blobs, which sources never are.
  if ! git --git-dir="$git_dir" archive "$commit" -- "$@" 2>/dev/null | tar -x -C "$dir"; then
    echo "realworld: could not get $repo at $commit; $name is not checked" >&2
    rm -rf "$dir"
    return 1
  fi
}
checked_apps=()
mkdir -p "$work/python-apps" "$work/rust-apps"
for entry in "${python_apps[@]}"; do
  read -r name repo commit <<<"$entry"
  dir="$work/python-apps/$name"
  if [ -d "$dir" ] || fetch_tree "$name" "$repo" "$commit" "$dir" '*.py' '*.gitignore'; then
    checked_apps+=("$dir")
  fi
done
for entry in "${rust_apps[@]}"; do
  read -r name repo commit <<<"$entry"
  dir="$work/rust-apps/$name"
  if [ -d "$dir" ] || fetch_tree "$name" "$repo" "$commit" "$dir" '*.rs' '*Cargo.toml' '*.gitignore'; then
    checked_apps+=("$dir")
  fi
done
# `--fetch-only`: bring the corpus and stop (bench/run.sh's many-projects row uses the apps).
if [ "${1:-}" = "--fetch-only" ]; then
  exit 0
fi
cargo build --release --quiet
bin=target/release/scoped-db
files=$(find "$work/vendor" -name '*.rs' | wc -l)
pyfiles=$(find "$work/pypi" -name '*.py' | wc -l)
echo "checking $files .rs files under $work/vendor, the apps and ${#checked_workspaces[@]} workspaces, $pyfiles .py files under $work/pypi and ${#checked_apps[@]} Python and Rust applications in one run" >&2
report="$work/report.json"
start=$(date +%s.%N)
"$bin" check --format json "$work/vendor" "$work/apps" "${checked_workspaces[@]}" "$work/pypi" "${checked_apps[@]}" > "$report" || true
end=$(date +%s.%N)
echo "took $(echo "$end - $start" | bc) s" >&2
# The prefilter never changes a finding: each application checked again parsing every file.
for app in "${checked_apps[@]}"; do
  if ! diff <("$bin" check --format short --exit-zero "$app" 2>/dev/null) \
    <("$bin" check --format short --exit-zero --no-prefilter "$app" 2>/dev/null) >/dev/null; then
    echo "realworld: $app: the findings differ with --no-prefilter" >&2
    exit 1
  fi
done
echo "the same findings with and without the prefilter on ${#checked_apps[@]} applications" >&2
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
    top = next((t for t in ("vendor", "apps", "workspaces", "pypi", "python-apps", "rust-apps") if t in parts), parts[0])
    crate = parts[parts.index(top) + 1] if top in parts else parts[0]
    by_crate[crate].append(f)
for crate in sorted(by_crate):
    print(f"== {crate}: {len(by_crate[crate])}")
    for f in by_crate[crate]:
        print(f'  {f["rule"]} {f["path"]}:{f["line"]}:{f["column"]} {f["function"]}: {f["message"]}')
s = report["summary"]
print(f'{s["findings"]} findings, {s["errors"]} errors, {s["files_checked"]} files checked')
PY
