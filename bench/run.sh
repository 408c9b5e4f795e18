#!/usr/bin/env bash
# The benchmark: scoped-db next to a syn parse-only floor, ast-grep and ruff, on the same files in
# one run each, and the language server's latency; writes bench/results.md (a table) and
# bench/results.svg (a chart).
#
#   bench/run.sh            # fetch what is missing, measure, write the results
#
# Corpus (fetched once into ignored folders): the crates of bench/corpus/Cargo.toml and their
# dependencies, vendored by cargo into bench/vendor; 2x and 4x that tree as hard-linked copies; the
# PyPI sources of SQLAlchemy 2.0.36, asyncpg, psycopg, alembic and FastAPI in bench/pypi; the real
# applications scripts/realworld.sh pins (realworld/python-apps, realworld/rust-apps). Tools:
# ast-grep from npm (bench/node_modules), ruff from PyPI (on PATH or installed with pip --user).
# Wall time and peak RSS come from /usr/bin/time; threads are set with RAYON_NUM_THREADS (scoped-db
# and the floor) and -j (ast-grep).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)

# --- corpus ---------------------------------------------------------------------------------
if [ ! -d vendor ]; then
  (cd corpus && cargo vendor --versioned-dirs --quiet ../vendor >/dev/null)
fi
for n in 2 4; do
  if [ ! -d "scaled/${n}x" ]; then
    mkdir -p "scaled/${n}x"
    for i in $(seq 1 "$n"); do cp -al vendor "scaled/${n}x/copy-$i"; done
  fi
done
if [ ! -d pypi ]; then
  mkdir -p pypi
  (cd pypi &&
    python3 -m pip download --quiet --no-deps --no-binary :all: \
      sqlalchemy==2.0.36 asyncpg psycopg alembic fastapi &&
    for f in *.tar.gz; do tar xzf "$f" && rm "$f"; done)
fi

# --- tools ----------------------------------------------------------------------------------
(cd "$root" && cargo build --release --quiet)
cargo build --release --quiet --manifest-path floor/Cargo.toml --target-dir floor/target
scoped="$root/target/release/scoped-db"
floor="floor/target/release/scoped-db-bench-floor"
if [ ! -x node_modules/.bin/ast-grep ]; then
  npm install --silent --prefix . @ast-grep/cli >/dev/null
fi
astgrep=node_modules/.bin/ast-grep
ruff=$(command -v ruff || true)
if [ -z "$ruff" ]; then
  python3 -m pip install --quiet --user ruff
  ruff=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts", "posix_user"))')/ruff
fi

# --- measuring ------------------------------------------------------------------------------
results=$(mktemp)
# measure NAME FILES-GLOB-ROOT EXT THREADS -- COMMAND...: one run, wall time and peak RSS.
measure() {
  local name=$1 tree=$2 ext=$3 threads=$4
  shift 5
  local files bytes
  files=$(find "$tree" -name "*.$ext" -type f | wc -l)
  # Every copy counts: `du` would count hard-linked copies once.
  bytes=$(find "$tree" -name "*.$ext" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  local timing out
  timing=$(mktemp)
  # A checker's own exit status (1: findings, 2: a file it could not parse) is not the script's.
  RAYON_NUM_THREADS=$threads /usr/bin/time -o "$timing" -f "%e %M" "$@" >/dev/null 2>&1 || true
  out=$(tail -1 "$timing")
  rm -f "$timing"
  echo "$name|$files|$bytes|$threads|$out" >> "$results"
  echo "$name ($threads threads): $out" >&2
}

# Every tool reads warm files: the first row would otherwise pay for the disk.
find vendor pypi -type f \( -name '*.rs' -o -name '*.py' \) -print0 | xargs -0 cat > /dev/null
for threads in 2 1; do
  measure "scoped-db check" vendor rs "$threads" -- "$scoped" check --no-ignore --format json vendor
  measure "syn parse-only floor" vendor rs "$threads" -- "$floor" vendor
  measure "ast-grep, one pattern" vendor rs "$threads" -- \
    "$astgrep" run --lang rust --pattern '$P.begin().await' -j "$threads" vendor
done
# Every file parsed: the engine's own cost next to the floor's, and how it scales with threads.
for threads in 2 1; do
  measure "scoped-db check --no-prefilter" vendor rs "$threads" -- \
    "$scoped" check --no-ignore --format json --no-prefilter vendor
done
for n in 2 4; do
  measure "scoped-db check, ${n}x" "scaled/${n}x" rs 2 -- "$scoped" check --no-ignore --format json "scaled/${n}x"
  measure "syn parse-only floor, ${n}x" "scaled/${n}x" rs 2 -- "$floor" "scaled/${n}x"
done
for threads in 2 1; do
  measure "scoped-db check (Python)" pypi py "$threads" -- "$scoped" check --no-ignore --format json pypi
  measure "ruff check, one rule, --no-cache" pypi py "$threads" -- \
    "$ruff" check --no-cache --isolated --select SIM115 --exit-zero pypi
done
measure "scoped-db check --no-prefilter (Python)" pypi py 2 -- \
  "$scoped" check --no-ignore --format json --no-prefilter pypi
# The prefilter never changes a finding.
if ! diff <("$scoped" check --no-ignore --format short --exit-zero pypi 2>/dev/null) \
  <("$scoped" check --no-ignore --format short --exit-zero --no-prefilter pypi 2>/dev/null) >/dev/null; then
  echo "bench: the Python findings differ with --no-prefilter" >&2
  exit 1
fi

# Many projects: the real applications scripts/realworld.sh pins (fetched once; with
# REALWORLD_MIRROR where GitHub is out of reach), checked in one run and each alone.
if [ ! -d "$root/realworld/python-apps/chatter" ]; then
  (cd "$root" && scripts/realworld.sh --fetch-only >/dev/null) || true
fi
apps=()
for dir in "$root"/realworld/python-apps/* "$root"/realworld/rust-apps/*; do
  [ -d "$dir" ] && apps+=("$dir")
done
if [ "${#apps[@]}" -gt 0 ]; then
  files=$(find "${apps[@]}" \( -name '*.py' -o -name '*.rs' \) -type f | wc -l)
  bytes=$(find "${apps[@]}" \( -name '*.py' -o -name '*.rs' \) -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  find "${apps[@]}" -type f -print0 | xargs -0 cat > /dev/null
  timing=$(mktemp)
  RAYON_NUM_THREADS=2 /usr/bin/time -o "$timing" -f "%e %M" "$scoped" check --format json "${apps[@]}" >/dev/null 2>&1 || true
  one=$(tail -1 "$timing")
  echo "scoped-db check, ${#apps[@]} applications in one run|$files|$bytes|2|$one" >> "$results"
  echo "many projects, one run: $one" >&2
  sum=0
  peak=0
  for dir in "${apps[@]}"; do
    RAYON_NUM_THREADS=2 /usr/bin/time -o "$timing" -f "%e %M" "$scoped" check --format json "$dir" >/dev/null 2>&1 || true
    read -r wall rss < <(tail -1 "$timing")
    sum=$(echo "$sum + $wall" | bc)
    [ "$rss" -gt "$peak" ] && peak=$rss
  done
  rm -f "$timing"
  echo "scoped-db check, each alone (wall summed, peak of the largest)|$files|$bytes|2|$sum $peak" >> "$results"
  echo "many projects, each alone: $sum $peak" >&2
fi
chain=$(cd "$root" && cargo bench --quiet -p scoped-db-engine 2>/dev/null | grep propagation || true)
# The language server: didChange to publishDiagnostics on generated workspaces, bench/pypi and
# the seed's own application (realworld/python-apps/chatter).
server=$(cd "$root" && cargo bench --quiet --bench server 2>/dev/null | grep "edits:" || true)

# --- writing --------------------------------------------------------------------------------
python3 - "$results" "$chain" "$server" <<'PY'
import html, platform, subprocess, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1]) if l.strip()]
chain = sys.argv[2]
server = [l for l in sys.argv[3].splitlines() if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
mem = next((int(l.split()[1]) // 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
out = ["# Benchmark results", "",
       f"Machine: {cpu}, {cores} cores, {mem} MB RAM; `bench/run.sh`. One run per line, same files.", "",
       "| what | threads | files | MB | wall s | files/s | MB/s | peak RSS MB |",
       "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
bars = []
for name, files, size, threads, timing in rows:
    wall, rss = timing.split()[:2]
    wall, files, mb = float(wall), int(files), int(size) / 1e6
    out.append(f"| {name} | {threads} | {files:,} | {mb:.0f} | {wall:.2f} | {files / wall:,.0f} | {mb / wall:.1f} | {int(rss) // 1024:,} |")
    bars.append((f"{name} ({threads} thr)", wall))
if chain:
    out += ["", f"Propagation (`cargo bench -p scoped-db-engine`): {chain}"]
if server:
    out += ["", "Language server (`cargo bench --bench server`):", ""] + [f"- {l}" for l in server]
open("results.md", "w").write("\n".join(out) + "\n")
# README's table is this one, between its markers.
readme = open("../README.md").read()
start, end = "<!-- bench:start -->", "<!-- bench:end -->"
if start in readme and end in readme:
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    table = "\n".join(out[2:])
    open("../README.md", "w").write(f"{head}{start}\n{table}\n{end}{tail}")
width, bar_h, left = 760, 22, 300
top = max(w for _, w in bars) or 1
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{bar_h * len(bars) + 40}" font-family="sans-serif" font-size="12">',
       f'<text x="4" y="16">wall time, seconds (shorter is better)</text>']
for i, (label, wall) in enumerate(bars):
    y = 28 + i * bar_h
    w = (width - left - 60) * wall / top
    colour = "#d9534f" if label.startswith("scoped-db") else "#5b8bd9"
    svg.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{html.escape(label)}</text>')
    svg.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 6}" fill="{colour}"/>')
    svg.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}">{wall:.2f}</text>')
svg.append("</svg>")
open("results.svg", "w").write("\n".join(svg) + "\n")
print(open("results.md").read())
PY
rm -f "$results"
