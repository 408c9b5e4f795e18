#!/usr/bin/env bash
# The whole-registry run: every `.rs` file of the local cargo registry's sources and every `.py`
# file of the Python benchmark corpus, in one run with the prefilter off (every file is parsed),
# and asserts that nothing panicked, no file got an internal error, and every file is accounted
# for: checked, skipped with a reason, or an error with a reason.
#
#   scripts/registry.sh            # after bench/run.sh has fetched its corpus
set -euo pipefail
cd "$(dirname "$0")/.."
registry="${CARGO_HOME:-$HOME/.cargo}/registry/src"
pypi=bench/pypi
[ -d "$registry" ] || { echo "no cargo registry sources at $registry" >&2; exit 1; }
[ -d "$pypi" ] || { echo "no $pypi: run bench/run.sh first" >&2; exit 1; }
cargo build --release --quiet
report=$(mktemp)
trap 'rm -f "$report"' EXIT

# The files the walk is meant to find: what `find` lists, less what the walk skips by design
# (hidden directories, the default excludes). Links are not followed by either.
count() {
  find "$@" \( -name '.*' -o -name target -o -name __pycache__ -o -name node_modules \
      -o -name site-packages -o -name venv -o -name .venv \) -prune -o \
    \( -name '*.rs' -o -name '*.py' \) -type f -print | wc -l
}
expected=$(( $(count "$registry"/*) + $(count "$pypi") ))

status=0
/usr/bin/time -f "%e s, %M KB peak" target/release/scoped-db check --format json --no-prefilter \
  --no-ignore --include-tests "$registry" "$pypi" > "$report" || status=$?
echo "exit status $status (1: findings, 2: files that could not be checked)"

python3 - "$report" "$expected" <<'PY'
import collections, json, sys
doc = json.load(open(sys.argv[1]))
expected = int(sys.argv[2])
s = doc["summary"]
errors, skipped = doc["errors"], doc.get("skipped", [])
accounted = s["files_checked"] + len(errors) + len(skipped)
print(f"{expected} files found by find; {s['files_checked']} checked, {len(errors)} errors, "
      f"{len(skipped)} skipped, {s['findings']} findings")
kinds = collections.Counter(e["message"].split(" at line")[0][:70] for e in errors)
for message, n in kinds.most_common(12):
    print(f"  {n:5}  {message}")
internal = [e for e in errors if e["message"].startswith("internal error")]
for e in internal:
    print("INTERNAL:", e["path"], e["message"])
assert not internal, f"{len(internal)} internal errors"
assert accounted == expected, f"{accounted} files accounted for, {expected} expected"
print("every file accounted for; no internal error")
PY
