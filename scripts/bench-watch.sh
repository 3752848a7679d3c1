#!/usr/bin/env bash
# Benchmark layer-watch behind the AWS model, next to the operations guide's
# monitoring script.
#
#   scripts/bench-watch.sh                     # 300 functions
#   BENCH_FUNCTIONS=1000 scripts/bench-watch.sh
#   BENCH_PROFILE=dev scripts/bench-watch.sh   # skip the release build
#
# Drives the ignored test `bench_watch_behind_the_model` in
# layer-watch/tests/bench.rs: on a moto_server of its own (127.0.0.1 only) it
# creates BENCH_FUNCTIONS functions on two versions of one layer (one in four
# on the older one, none with published versions) with an Invocations, Errors
# and Duration datapoint each, then, behind the test harness's HTTP proxy and
# its AWS model (docs/aws.md: Lambda's quota buckets per account and region,
# 429 above them, pages of 50):
#   1. runs layer-watch (with metrics, then --no-metrics) and prints its wall
#      time against the target (6 s for 300 functions), its Lambda calls per
#      quota bucket and its CloudWatch calls;
#   2. runs the guide's script (scripts/lib/guide_monitoring.py: ListFunctions,
#      then three GetMetricStatistics per function, with boto3) behind a fresh
#      proxy, and prints the same.
# Both read the same data; the expected totals are printed too. Figures go to
# stdout; docs/layer-watch.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_SERVER="$(scripts/setup.sh | tail -n 1)"
export MOTO_SERVER
PATH="$(dirname "$MOTO_SERVER"):$PATH"
export PATH
export BENCH_FUNCTIONS="${BENCH_FUNCTIONS:-300}"
# boto3 for the guide's script: the Python that runs moto_server has it.
export BENCH_PYTHON="${BENCH_PYTHON:-$(dirname "$MOTO_SERVER")/python3}"
[ -x "$BENCH_PYTHON" ] || BENCH_PYTHON=python3

profile=(--release)
if [ "${BENCH_PROFILE:-release}" = dev ]; then profile=(); fi

cargo test --quiet "${profile[@]}" -p layer-watch --test bench -- \
  --ignored --nocapture --test-threads 1 2>&1 |
  grep -E '^(bench|expected|layer-watch|guide|load)' || {
    echo "bench-watch: the benchmark failed; run it without the filter:" >&2
    echo "  cargo test ${profile[*]} -p layer-watch --test bench -- --ignored --nocapture" >&2
    exit 1
  }
