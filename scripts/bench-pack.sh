#!/usr/bin/env bash
# Benchmark of layer-pack against the operations guide's build.sh steps, `zip -r9q` and
# `7z -tzip -mx=9`, side by side in one run, on two real trees for python3.11/x86_64:
#   ml:     numpy + pandas
#   common: boto3 + pydantic + requests
# Prints a Markdown table (the one in docs/layer-pack.md) with median wall seconds over
# RUNS runs (7z and --max: one run, they are slow), CPU seconds (user + system), zip bytes
# and peak resident memory (/usr/bin/time).
#
#   scripts/bench-pack.sh               # RUNS=3, work files in a temporary folder
#   RUNS=5 BENCH_DIR=/tmp/b scripts/bench-pack.sh
#   BENCH_MODE=proof scripts/bench-pack.sh   # only what pruning's import scan and the import
#                                            # proof cost, and the whole warm pack with the
#                                            # proof on against the guide's build.sh steps
#   ONLY=memory scripts/bench-pack.sh   # only peak memory against layer size (ml, ml x3)
#   BENCH_MODE=matrix scripts/bench-pack.sh  # the guide's whole matrix: examples/layers/common
#                                            # for python3.11 + 3.12 on x86_64 + arm64 from a warm
#                                            # cache, against the guide's build.sh steps run for
#                                            # the same four targets one at a time
#
# Needs network access to PyPI (pip and uv download the wheels once), zip, and 7z
# (Debian: p7zip-full; installed with apt-get when missing and running as root).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
MODE="${BENCH_MODE:-full}"
WORK="${BENCH_DIR:-$(mktemp -d /tmp/bench-pack.XXXXXX)}"
mkdir -p "$WORK"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

echo "bench: building layer-pack (release)" >&2
cargo build --release --quiet -p layer-pack
PACK="$CARGO_TARGET_DIR/release/layer-pack"

if [ "$MODE" = full ] && ! command -v 7z >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "bench: installing p7zip-full" >&2
  apt-get install -y -qq p7zip-full >/dev/null 2>&1 || { apt-get update -qq >/dev/null && apt-get install -y -qq p7zip-full >/dev/null; }
fi
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is needed (Debian: time)" >&2; exit 1; }

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# measure NAME RUNS CMD...: run CMD RUNS times; sets WALL and CPU (median seconds; CPU is
# user + system time of the command and its children) and RSS (max KiB).
measure() {
  local name="$1" runs="$2"; shift 2
  local walls=() cpus=() rss=0 wall user sys peak
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %U %S %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt" || {
      echo "bench: $name failed:" >&2; cat "$WORK/stderr.txt" >&2; exit 1; }
    read -r wall user sys peak < <(tail -n 1 "$WORK/time.txt")
    walls+=("$wall")
    cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')")
    [ "$peak" -gt "$rss" ] && rss="$peak"
  done
  WALL="$(printf '%s\n' "${walls[@]}" | median)"
  CPU="$(printf '%s\n' "${cpus[@]}" | median)"
  RSS="$rss"
  echo "bench: $name: ${WALL}s wall, ${CPU}s CPU (median of $runs), peak ${RSS} KiB, load $(cut -d' ' -f1 /proc/loadavg)" >&2
}

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1000000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f%%", (a - b) * 100 / b }'; }

# The guide's build.sh, step for step (pip for the target platform, its find-based pruning, zip -r9).
guide_build() {
  local layer="$1" dist="$2"
  rm -rf "$dist" "$dist.zip"
  mkdir -p "$dist/python"
  python3 -m pip install --quiet --disable-pip-version-check -r "$layer/requirements.txt" \
    -t "$dist/python" --platform manylinux2014_x86_64 --python-version 3.11 \
    --only-binary :all: --no-compile
  cp -r "$layer/python/bench_lib" "$dist/python/"
  find "$dist" -type d -name "__pycache__" -exec rm -rf {} + 2>/dev/null || true
  find "$dist" -type f -name "*.pyc" -delete
  find "$dist" -type d -name "*.dist-info" -exec rm -rf {} + 2>/dev/null || true
  find "$dist" -type d -name "tests" -exec rm -rf {} + 2>/dev/null || true
  (cd "$dist" && zip -r9q "$dist.zip" .)
}
export -f guide_build

ROWS=()
# row TREE_CELL TOOL ZIP_BYTES NOTE: a table row from the last measurement.
row() {
  local size=""
  [ -n "$3" ] && size="$(mb "$3")"
  ROWS+=("| $1 | $2 | ${WALL}s | ${CPU}s | $size | $((RSS / 1024)) MiB | $4 |")
}

bench_tree() {
  local tree="$1" requirements="$2"
  local dir="$WORK/$tree" layer="$WORK/$tree/layer"
  rm -rf "$dir"; mkdir -p "$layer/python/bench_lib" "$dir/out"
  printf 'name: bench-%s\ncompatible_runtimes: [python3.11]\ncompatible_architectures: [x86_64]\n' "$tree" > "$layer/layer.yaml"
  printf '%s\n' $requirements > "$layer/requirements.txt"
  printf 'VERSION = "1.0"\n' > "$layer/python/bench_lib/__init__.py"
  local cache="$dir/cache"

  # The whole build. Cold: an empty layer-pack cache (uv's own download cache may be warm).
  measure "$tree layer-pack build, cold" 1 "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" --refresh -q --no-input
  local cold="$WALL" cold_cpu="$CPU" cold_rss="$RSS"
  measure "$tree layer-pack build, warm cache" "$RUNS" "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q --no-input
  local build="$WALL" build_cpu="$CPU" build_rss="$RSS"
  "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q --no-input > "$dir/record.json"
  local files unzipped build_size
  files="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["artifact"]["files"])' "$dir/record.json")"
  unzipped="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["artifact"]["unzipped_bytes"])' "$dir/record.json")"
  build_size="$(stat -c %s "$dir/out/bench-$tree.zip")"
  guide_build "$layer" "$dir/guide" >/dev/null 2>&1 || { echo "bench: the guide's build failed" >&2; exit 1; } # warms pip's download cache
  measure "$tree guide build.sh steps" "$RUNS" bash -c 'guide_build "$0" "$1"' "$layer" "$dir/guide"
  local cell="$tree: $(mb "$unzipped"), $files files"
  row "$cell" "guide's build.sh steps (pip, find, zip -r9)" "$(stat -c %s "$dir/guide.zip")" "drops *.dist-info: other content"
  local guide="$WALL" guide_cpu="$CPU"
  WALL="$build" CPU="$build_cpu" RSS="$build_rss"
  row "" "**layer-pack LAYER_DIR, warm cache**" "$build_size" "**$(ratio "$guide" "$build") faster** (CPU $(ratio "$guide_cpu" "$build_cpu"))"
  WALL="$cold" CPU="$cold_cpu" RSS="$cold_rss"
  row "" "layer-pack LAYER_DIR, cold cache (uv)" "$build_size" ""

  # Zipping alone, on one and the same pruned tree (layer-pack's output, extracted).
  rm -rf "$dir/tree"; mkdir -p "$dir/tree"
  (cd "$dir/tree" && unzip -q "$dir/out/bench-$tree.zip")
  measure "$tree zip -r9q" "$RUNS" bash -c 'cd "$0" && rm -f "$1" && zip -r9q "$1" python' "$dir/tree" "$dir/zip9.zip"
  local zip9="$WALL" zip9_cpu="$CPU" zip9_size
  zip9_size="$(stat -c %s "$dir/zip9.zip")"
  row "" "zip -r9q (zip only)" "$zip9_size" ""
  local zip_only=(--name "bench-$tree" --runtime python3.11 --source "$dir/tree/python" --no-default-prune --no-import-check --no-input -q)
  measure "$tree layer-pack (default level)" "$RUNS" "$PACK" "${zip_only[@]}" --out-dir "$dir/zo" -o "$dir/zo/default.zip"
  local lp_size
  lp_size="$(stat -c %s "$dir/zo/default.zip")"
  row "" "**layer-pack** (default, level 6; walk, verify, zip)" "$lp_size" "**$(ratio "$zip9" "$WALL") faster** (CPU $(ratio "$zip9_cpu" "$CPU")), $(pct "$lp_size" "$zip9_size") vs zip -9"
  measure "$tree layer-pack --jobs 1" "$RUNS" "$PACK" "${zip_only[@]}" --out-dir "$dir/zo" -o "$dir/zo/one.zip" --jobs 1
  cmp -s "$dir/zo/one.zip" "$dir/zo/default.zip" || { echo "bench: --jobs 1 gave other bytes" >&2; exit 1; }
  row "" "layer-pack --jobs 1 (same bytes)" "$lp_size" ""
  local sevenz_size=""
  if command -v 7z >/dev/null 2>&1; then
    measure "$tree 7z -tzip -mx=9" 1 bash -c 'cd "$0" && rm -f "$1" && 7z a -tzip -mx=9 -bd -bso0 "$1" python' "$dir/tree" "$dir/7z.zip"
    sevenz_size="$(stat -c %s "$dir/7z.zip")"
    row "" "7z -tzip -mx=9" "$sevenz_size" ""
  fi
  measure "$tree layer-pack --max" 1 "$PACK" "${zip_only[@]}" --out-dir "$dir/zo" -o "$dir/zo/max.zip" --max
  local max_size
  max_size="$(stat -c %s "$dir/zo/max.zip")"
  row "" "**layer-pack --max** (level 12)" "$max_size" "${sevenz_size:+$(pct "$max_size" "$sevenz_size") vs 7z}"
  # Keep only the extracted tree (the ml x3 run copies it): disks here are shared.
  rm -rf "$dir/guide" "$dir/cache" "$dir/zo" "$dir"/*.zip "$dir/out"
}

# median FIELD FILE: the median of a number in the records (JSON lines) of FILE, e.g.
# artifact.timing_ms.scan.
record_median() {
  python3 - "$1" "$2" <<'PY'
import json, statistics, sys
field, path = sys.argv[1], sys.argv[2]
values = []
for line in open(path):
    value = json.loads(line)
    for part in field.split("."):
        value = value.get(part, {}) if isinstance(value, dict) else {}
    values.append(value if isinstance(value, (int, float)) else 0)
print(int(statistics.median(values)))
PY
}

# The import scan and the import proof: their own time (the record's timing_ms, median of
# RUNS), and the whole warm pack with the proof on and off, against the guide's steps.
bench_proof_tree() {
  local tree="$1" requirements="$2"
  local dir="$WORK/$tree" layer="$WORK/$tree/layer"
  rm -rf "$dir"; mkdir -p "$layer/python/bench_lib" "$dir/out"
  printf 'name: bench-%s\ncompatible_runtimes: [python3.11]\ncompatible_architectures: [x86_64]\n' "$tree" > "$layer/layer.yaml"
  printf '%s\n' $requirements > "$layer/requirements.txt"
  printf 'VERSION = "1.0"\n' > "$layer/python/bench_lib/__init__.py"
  local cache="$dir/cache" records="$dir/records.jsonl"
  "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q --no-input > "$dir/record.json"
  rm -f "$records"
  measure "$tree layer-pack warm, import proof on" "$RUNS" bash -c '"$0" "$@" >> "'"$records"'"' \
    "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q --no-input
  local on="$WALL" on_cpu="$CPU" on_rss="$RSS"
  measure "$tree layer-pack warm, --no-import-check" "$RUNS" "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q --no-input --no-import-check
  local off="$WALL" off_cpu="$CPU" off_rss="$RSS"
  # The first proof after an install compiles every module: no bytecode from an earlier run.
  measure "$tree layer-pack warm, import proof on, no bytecode kept" "$RUNS" bash -c 'rm -rf "$2/proof/pycache" && "$0" "$1" --cache-dir "$2" --out-dir "$3" -q --no-input' \
    "$PACK" "$layer" "$cache" "$dir/out"
  local first="$WALL" first_cpu="$CPU" first_rss="$RSS"
  guide_build "$layer" "$dir/guide" >/dev/null 2>&1 || { echo "bench: the guide's build failed" >&2; exit 1; }
  measure "$tree guide build.sh steps" "$RUNS" bash -c 'guide_build "$0" "$1"' "$layer" "$dir/guide"
  local guide="$WALL" guide_cpu="$CPU"
  local files unzipped scanned kept modules scan proof
  files="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["artifact"]["files"])' "$dir/record.json")"
  unzipped="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["artifact"]["unzipped_bytes"])' "$dir/record.json")"
  scanned="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["artifact"].get("pruning", {}).get("scanned_files", 0))' "$dir/record.json")"
  kept="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["artifact"].get("pruning", {}).get("kept_back", [])))' "$dir/record.json")"
  modules="$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["artifact"]["import_proof"][0]; assert p["proven"], p; print(len(p["modules"]))' "$dir/record.json")"
  scan="$(record_median artifact.timing_ms.scan "$records")"
  proof="$(record_median artifact.timing_ms.import_proof "$records")"
  ROWS+=("| $tree: $(mb "$unzipped"), $files files | import scan (record's timing_ms.scan) | ${scan} ms | | | | $scanned Python files read, $kept kept back |")
  ROWS+=("| | import proof (record's timing_ms.import_proof) | ${proof} ms | | | | $modules top-level modules, python3.11, 2 at a time |")
  WALL="$guide" CPU="$guide_cpu" RSS=0
  ROWS+=("| | guide's build.sh steps (pip, find, zip -r9) | ${guide}s | ${guide_cpu}s | | | |")
  ROWS+=("| | **layer-pack LAYER_DIR, warm cache, import proof on** | ${on}s | ${on_cpu}s | | $((on_rss / 1024)) MiB | **$(ratio "$guide" "$on") faster** (CPU $(ratio "$guide_cpu" "$on_cpu")) |")
  ROWS+=("| | layer-pack LAYER_DIR, warm cache, import proof on, no bytecode from an earlier proof | ${first}s | ${first_cpu}s | | $((first_rss / 1024)) MiB | $(ratio "$guide" "$first") faster (CPU $(ratio "$guide_cpu" "$first_cpu")) |")
  ROWS+=("| | layer-pack LAYER_DIR, warm cache, --no-import-check | ${off}s | ${off_cpu}s | | $((off_rss / 1024)) MiB | $(ratio "$guide" "$off") faster |")
  rm -rf "$dir/guide" "$dir/cache" "$dir/out" "$dir"/*.zip
}

# ONLY=memory: just the pruned ml tree (layer-pack's output, extracted), for the rows below.
ml_tree_only() {
  local dir="$WORK/ml" layer="$WORK/ml/layer"
  rm -rf "$dir"; mkdir -p "$layer/python/bench_lib" "$dir/out"
  printf 'name: bench-ml\ncompatible_runtimes: [python3.11]\ncompatible_architectures: [x86_64]\n' > "$layer/layer.yaml"
  printf '%s\n' numpy==2.2.6 pandas==2.3.2 > "$layer/requirements.txt"
  printf 'VERSION = "1.0"\n' > "$layer/python/bench_lib/__init__.py"
  "$PACK" "$layer" --cache-dir "$dir/cache" --out-dir "$dir/out" -q --no-input > /dev/null
  mkdir -p "$dir/tree"
  (cd "$dir/tree" && unzip -q "$dir/out/bench-ml.zip")
  rm -rf "$dir/cache" "$dir/out"
}

# The guide's build.sh for one target (PYTHON_VERSION, ARCHITECTURE as its variables): pip
# for the platform, the library copied, its find-based pruning, zip -r9 into its own zip.
guide_build_target() {
  local layer="$1" dist="$2" python="$3" arch="$4"
  rm -rf "$dist" "$dist.zip"
  mkdir -p "$dist/python"
  python3 -m pip install --quiet --disable-pip-version-check -r "$layer/requirements.txt" \
    -t "$dist/python" --platform "manylinux2014_$arch" --python-version "$python" \
    --only-binary :all: --no-compile
  cp -r "$layer/python/makoto_common" "$dist/python/"
  find "$dist" -type d -name "__pycache__" -exec rm -rf {} + 2>/dev/null || true
  find "$dist" -type f -name "*.pyc" -delete
  find "$dist" -type d -name "*.dist-info" -exec rm -rf {} + 2>/dev/null || true
  find "$dist" -type d -name "tests" -exec rm -rf {} + 2>/dev/null || true
  (cd "$dist" && zip -r9q "$dist.zip" .)
}
# All four of the guide's declared targets, one at a time.
guide_build_matrix() {
  local layer="$1" out="$2" python arch
  for python in 3.11 3.12; do
    for arch in x86_64 aarch64; do
      guide_build_target "$layer" "$out/$python-$arch" "$python" "$arch"
    done
  done
}
export -f guide_build_target guide_build_matrix

# examples/layers/common as the guide declares it (python3.11 + 3.12, x86_64 + arm64, native
# dependencies): layer-pack's whole matrix from a warm cache against the guide's steps x4.
bench_matrix() {
  local dir="$WORK/matrix" layer="$WORK/matrix/common"
  rm -rf "$dir"; mkdir -p "$dir/out"
  cp -R examples/layers/common "$layer"
  local cache="$dir/cache" records="$dir/records.jsonl"
  "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q > "$dir/record.jsonl"
  rm -f "$records"
  measure "matrix layer-pack warm, import proof on" "$RUNS" bash -c '"$0" "$@" >> "'"$records"'"' \
    "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q
  local on="$WALL" on_cpu="$CPU" on_rss="$RSS"
  measure "matrix layer-pack warm, --no-import-check" "$RUNS" "$PACK" "$layer" --cache-dir "$cache" --out-dir "$dir/out" -q --no-import-check
  local off="$WALL" off_cpu="$CPU" off_rss="$RSS"
  measure "matrix layer-pack cold (empty layer-pack cache; uv's download cache warm)" 1 \
    bash -c 'rm -rf "$2" && "$0" "$1" --cache-dir "$2" --out-dir "$3" -q' "$PACK" "$layer" "$dir/cold-cache" "$dir/out"
  local cold="$WALL" cold_cpu="$CPU" cold_rss="$RSS"
  guide_build_matrix "$layer" "$dir/guide" >/dev/null 2>&1 || { echo "bench: the guide's build failed" >&2; exit 1; } # warms pip's download cache
  measure "matrix guide build.sh steps x4" "$RUNS" bash -c 'guide_build_matrix "$0" "$1"' "$layer" "$dir/guide"
  local guide="$WALL" guide_cpu="$CPU" guide_rss="$RSS"
  local zips guide_zips proofs
  zips="$(python3 -c 'import json,sys; print(", ".join("%s %.2f MB (%d files)" % (r["layer"]["name"], r["artifact"]["zip_bytes"]/1e6, r["artifact"]["files"]) for r in map(json.loads, open(sys.argv[1]))))' "$dir/record.jsonl")"
  proofs="$(python3 -c 'import json,sys; print(", ".join(p["target"] for r in map(json.loads, open(sys.argv[1])) for p in r["artifact"]["import_proof"] if p["proven"]))' "$dir/record.jsonl")"
  guide_zips="$(for z in "$dir"/guide/*.zip; do printf '%s %s, ' "$(basename "$z" .zip)" "$(mb "$(stat -c %s "$z")")"; done | sed 's/, $//')"
  ROWS+=("| guide's build.sh steps, 4 targets one at a time (pip --platform, find, zip -r9) | ${guide}s | ${guide_cpu}s | $((guide_rss / 1024)) MiB | 4 zips: $guide_zips; drops *.dist-info |")
  ROWS+=("| **layer-pack examples/layers/common, warm cache, import proof on** | ${on}s | ${on_cpu}s | $((on_rss / 1024)) MiB | **$(ratio "$guide" "$on") faster** (CPU $(ratio "$guide_cpu" "$on_cpu")); 2 zips: $zips; proven by importing: $proofs |")
  ROWS+=("| layer-pack, warm cache, --no-import-check | ${off}s | ${off_cpu}s | $((off_rss / 1024)) MiB | $(ratio "$guide" "$off") faster |")
  ROWS+=("| layer-pack, cold layer-pack cache (4 uv installs, 2 at a time) | ${cold}s | ${cold_cpu}s | $((cold_rss / 1024)) MiB | $(ratio "$guide" "$cold") faster |")
  rm -rf "$dir/guide" "$dir/cache" "$dir/cold-cache" "$dir/out"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$MODE" = matrix ]; then
  bench_matrix
  echo
  echo "$(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), median of $RUNS runs"
  echo "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$(uv --version); pip $(python3 -m pip --version | cut -d' ' -f2); $(zip -v | sed -n 2p | sed 's/^ *//')"
  echo
  echo "| command | wall | CPU | peak RSS | |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  exit 0
fi
if [ "$MODE" = proof ]; then
  bench_proof_tree ml "numpy==2.2.6 pandas==2.3.2"
  bench_proof_tree common "boto3==1.44.8 pydantic==2.14.4 requests==2.34.2"
  echo
  echo "$(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), median of $RUNS runs; python3.11/x86_64 wheels"
  echo "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$(uv --version); pip $(python3 -m pip --version | cut -d' ' -f2); $(python3.11 --version)"
  echo
  echo "| tree (pruned) | step or command | wall | CPU | | peak RSS | |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  exit 0
fi
if [ "${ONLY:-}" = memory ]; then
  ml_tree_only
  measure "ml layer-pack (default level)" "$RUNS" "$PACK" --name bench-ml --runtime python3.11 \
    --source "$WORK/ml/tree/python" --no-default-prune --no-import-check --no-input -q --out-dir "$WORK/ml/zo" -o "$WORK/ml/zo/ml.zip"
  row "ml: $(mb "$(du -sb --apparent-size "$WORK/ml/tree/python" | cut -f1)")" "layer-pack (default, level 6)" "$(stat -c %s "$WORK/ml/zo/ml.zip")" ""
else
  bench_tree ml "numpy==2.2.6 pandas==2.3.2"
  bench_tree common "boto3==1.44.8 pydantic==2.14.4 requests==2.34.2"
fi

# Memory against layer size: the ml tree three times over (under other package names,
# still below Lambda's unzipped limit), zipped at the default level.
big="$WORK/ml3"
rm -rf "$big"; mkdir -p "$big/python"
for copy in a b c; do
  mkdir -p "$big/python/$copy"
  cp -r "$WORK/ml/tree/python/." "$big/python/$copy/"
done
measure "ml x3 layer-pack (default level)" "$RUNS" "$PACK" --name bench-ml3 --runtime python3.11 \
  --source "$big/python" --no-default-prune --no-import-check --no-input -q --out-dir "$big/out" -o "$big/out/ml3.zip"
row "ml x3: $(mb "$(du -sb --apparent-size "$big/python" | cut -f1)")" "layer-pack (default, level 6)" "$(stat -c %s "$big/out/ml3.zip")" "memory against layer size"
# The same two with glibc's malloc held to a fixed mmap threshold: by default glibc raises
# the threshold after a large block is freed, and later blocks then stay in its heap.
fixed=(env MALLOC_MMAP_THRESHOLD_=1048576 "$PACK" --runtime python3.11 --no-default-prune --no-import-check --no-input -q)
measure "ml layer-pack, fixed mmap threshold" "$RUNS" "${fixed[@]}" --name bench-ml \
  --source "$WORK/ml/tree/python" --out-dir "$big/out" -o "$big/out/ml.zip"
row "ml: 83.58 MB" "MALLOC_MMAP_THRESHOLD_=1048576 layer-pack" "$(stat -c %s "$big/out/ml.zip")" "glibc's threshold fixed"
measure "ml x3 layer-pack, fixed mmap threshold" "$RUNS" "${fixed[@]}" --name bench-ml3 \
  --source "$big/python" --out-dir "$big/out" -o "$big/out/ml3.zip"
row "ml x3" "MALLOC_MMAP_THRESHOLD_=1048576 layer-pack" "$(stat -c %s "$big/out/ml3.zip")" "glibc's threshold fixed"
rm -rf "$big"

echo
echo "$(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d), median of $RUNS runs; python3.11/x86_64 wheels"
echo "load average (1/5/15 min) before: $LOAD_BEFORE, after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$(zip -v | sed -n 2p | sed 's/^ *//'); $(7z 2>/dev/null | sed -n 2p | cut -c1-40); $(uv --version); pip $(python3 -m pip --version | cut -d' ' -f2)"
echo
echo "| tree (pruned) | command | wall | CPU | zip | peak RSS | |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
