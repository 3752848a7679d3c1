#!/usr/bin/env bash
# Benchmark of layer-publish's idempotent path: publishing content that is
# already published again, against N = 1, 10, 100 versions of history, on a
# moto_server this script starts on 127.0.0.1 (and stops).
#
# For each N it reports the AWS requests (counted by the tool itself, printed at
# -v) and the median wall time of 5 runs, for two histories:
#   marked:  versions published by layer-publish (descriptions carry a content hash)
#   unmarked: versions with a description chosen by the user (--description),
#            where only GetLayerVersion can tell a version's content.
# The republished content is the OLDEST version's, the worst case for a scan.
#
# Usage: scripts/bench-publish.sh            (debug build)
#        PROFILE=release scripts/bench-publish.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/emulator.sh

PROFILE="${PROFILE:-debug}"
TARGET="${CARGO_TARGET_DIR:-target}"
if [ "$PROFILE" = release ]; then
  cargo build --quiet --release -p layer-publish
else
  cargo build --quiet -p layer-publish
fi
BIN="$TARGET/$PROFILE/layer-publish"
RUNS="${RUNS:-5}"

WORK="$(mktemp -d -t layer-publish-bench.XXXXXX)"
cleanup() { stop_emulator; rm -rf "$WORK"; }
start_emulator
trap cleanup EXIT

# N records of distinct content for one layer, as layer-pack would write them.
make_records() { # name count
  python3 - "$WORK" "$1" "$2" <<'PY'
import base64, hashlib, io, json, sys, zipfile
work, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(count):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo(f"python/{name}/__init__.py", (1980, 1, 1, 0, 0, 0))
        z.writestr(info, f"VERSION = {n}\n")
    data = buf.getvalue()
    path = f"{work}/{name}-{n}.zip"
    open(path, "wb").write(data)
    digest = hashlib.sha256(data).digest()
    print(json.dumps({
        "schema": "layer-record/v1",
        "layer": {"name": name, "version": f"1.0.{n}", "description": "bench",
                  "compatible_runtimes": ["python3.12"], "compatible_architectures": ["x86_64"]},
        "artifact": {"path": path, "zip_bytes": len(data), "unzipped_bytes": 20, "files": 1,
                     "sha256": digest.hex(), "code_sha256": base64.b64encode(digest).decode(),
                     "findings": []},
    }))
PY
}

now() { python3 -c 'import time; print(time.monotonic())'; }

# Median wall seconds and the request line of RUNS re-runs of the first record.
measure() { # records-file extra-args...
  local file="$1"; shift
  local times=() requests="" start end
  head -n 1 "$file" >"$WORK/again.jsonl"
  for _ in $(seq 1 "$RUNS"); do
    start="$(now)"
    "$BIN" -v "$@" "$WORK/again.jsonl" >"$WORK/out.jsonl" 2>"$WORK/err.txt"
    end="$(now)"
    grep -q '"reused":true' "$WORK/out.jsonl" || { echo "not reused:" >&2; cat "$WORK/err.txt" >&2; exit 1; }
    times+=("$(python3 -c "print($end - $start)")")
    requests="$(sed -n 's/.*AWS requests: //p' "$WORK/err.txt")"
  done
  local median
  median="$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")"
  printf '%s\t%.3f\n' "$requests" "$median"
}

printf '%-9s %5s  %-8s  %s\n' history N "wall s" "AWS requests"
for n in 1 10 100; do
  make_records "marked-$n" "$n" >"$WORK/marked-$n.jsonl"
  "$BIN" -q "$WORK/marked-$n.jsonl" >/dev/null
  IFS=$'\t' read -r requests wall < <(measure "$WORK/marked-$n.jsonl")
  printf '%-9s %5s  %-8s  %s\n' marked "$n" "$wall" "$requests"

  make_records "unmarked-$n" "$n" >"$WORK/unmarked-$n.jsonl"
  "$BIN" -q --description "hand written" "$WORK/unmarked-$n.jsonl" >/dev/null
  IFS=$'\t' read -r requests wall < <(measure "$WORK/unmarked-$n.jsonl" --description "hand written")
  printf '%-9s %5s  %-8s  %s\n' unmarked "$n" "$wall" "$requests"
done
