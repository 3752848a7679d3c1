#!/usr/bin/env bash
# Benchmark layer-attach across an estate behind Lambda's quotas.
#
#   scripts/bench-estate.sh                      # 2 accounts × 2 regions × 30 functions
#   BENCH_FUNCTIONS=60 scripts/bench-estate.sh
#
# Drives the ignored test `bench_estate_behind_the_quota_model` in
# tests/e2e/tests/estate.rs: on a moto_server of its own (127.0.0.1 only) it creates
# BENCH_FUNCTIONS functions on common:1 in each account and region, then behind the
# test harness's proxy and its AWS model (quota buckets per account and region, the
# account told from the request's access key; updates InProgress for 1 s) moves one
# pair to common:2 alone, then the other three pairs in one run with --account and
# --role-arn, and prints both wall times next to the largest pair's minimum
# (BENCH_FUNCTIONS updates at 15/s). docs/scale.md records a run. Debug build (the
# run is API-bound, not CPU-bound).
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_SERVER="$(scripts/setup.sh | tail -n 1)"
export MOTO_SERVER
export BENCH_FUNCTIONS="${BENCH_FUNCTIONS:-30}"

cargo build --quiet --workspace --bins
cargo test --quiet -p layer-tools-e2e --test estate -- \
  --ignored --nocapture --test-threads 1 bench_estate 2>&1 |
  grep -E '^bench' || {
    echo "bench-estate: the benchmark failed; run it without the filter:" >&2
    echo "  cargo test -p layer-tools-e2e --test estate -- --ignored --nocapture bench_estate" >&2
    exit 1
  }
