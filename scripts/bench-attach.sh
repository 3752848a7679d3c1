#!/usr/bin/env bash
# Benchmark layer-attach at scale behind Lambda's rate limit.
#
#   scripts/bench-attach.sh                    # 300 functions
#   BENCH_FUNCTIONS=100 scripts/bench-attach.sh
#   BENCH_PROFILE=dev scripts/bench-attach.sh  # skip the release build
#
# Drives the ignored test `bench_attach_behind_the_rate_limit` in
# layer-attach/tests/bench.rs: on a moto_server of its own (127.0.0.1 only) it
# creates BENCH_FUNCTIONS functions that use makoto-vendor:1 and makoto-common:1,
# then, behind the test harness's HTTP proxy and its AWS model (docs/aws.md:
# Lambda's quota buckets per account and region, HTTP 429 TooManyRequestsException
# above them, every update InProgress for 1 s with 409 for another meanwhile):
#   1. runs layer-attach with its default settings to move them to makoto-common:2,
#      and prints its wall time next to the minimum the limit allows, and the
#      calls per quota bucket;
#   2. runs the operations guide's loop (list-functions, then one
#      `aws lambda update-function-configuration --layers ARN || true` per
#      function) with the real aws CLI when it is installed, and prints the ratio.
# Figures go to stdout; docs/layer-attach.md records a run.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_SERVER="$(scripts/setup.sh | tail -n 1)"
export MOTO_SERVER
PATH="$(dirname "$MOTO_SERVER"):$PATH"
export PATH
export BENCH_FUNCTIONS="${BENCH_FUNCTIONS:-300}"

profile=(--release)
if [ "${BENCH_PROFILE:-release}" = dev ]; then profile=(); fi

cargo test --quiet "${profile[@]}" -p layer-attach --test bench -- \
  --ignored --nocapture --test-threads 1 2>&1 |
  grep -E '^(bench|layer-attach|minimum|target|guide|load)' || {
    echo "bench-attach: the benchmark failed; run it without the filter:" >&2
    echo "  cargo test ${profile[*]} -p layer-attach --test bench -- --ignored --nocapture" >&2
    exit 1
  }
