#!/usr/bin/env bash
# Run every fuzz target for a bounded time (default 60 s each).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]        targets: records zip
#
# With a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`), each
# target runs under libFuzzer with AddressSanitizer, seeded from
# fuzz/seeds/TARGET, its growing corpus kept in fuzz/corpus/TARGET. Without
# them (or with FUZZ_STABLE=1), the stable driver fuzz/src/bin/replay.rs runs
# the same target functions on the seeds and on random and mutated inputs:
# weaker (no coverage guidance), but it needs nothing beyond stable Rust.
# Crashing inputs land in fuzz/artifacts/TARGET/. Exit status: non-zero when a
# target crashed.
set -euo pipefail

cd "$(dirname "$0")/../fuzz"
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(records zip)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

use_libfuzzer() {
    [ "${FUZZ_STABLE:-0}" != 1 ] &&
        rustup run nightly rustc --version >/dev/null 2>&1 &&
        cargo fuzz --version >/dev/null 2>&1
}

if use_libfuzzer; then
    for target in "${targets[@]}"; do
        mkdir -p "corpus/$target"
        echo "fuzz.sh: $target for ${seconds}s (cargo fuzz, nightly, libFuzzer)" >&2
        cargo +nightly fuzz run --features libfuzzer "$target" "corpus/$target" "seeds/$target" \
            -- -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048
    done
else
    echo "fuzz.sh: no nightly toolchain with cargo-fuzz (or FUZZ_STABLE=1): using the stable replay driver" >&2
    cargo build --release --bin replay
    for target in "${targets[@]}"; do
        "$CARGO_TARGET_DIR/release/replay" "$target" --seconds "$seconds" \
            --seed "${FUZZ_SEED:-1}" --corpus "seeds/$target" --corpus "corpus/$target"
    done
fi
