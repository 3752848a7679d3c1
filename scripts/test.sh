#!/usr/bin/env bash
# The test command: installs the emulator if needed, then runs every test of
# the workspace against a real moto_server (each test binary starts its own on
# a free loopback port and stops it when done). Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_SERVER="$(scripts/setup.sh | tail -n 1)"
export MOTO_SERVER
# Make the pip-installed tools (uv) visible even where PATH lacks the scripts dir.
PATH="$(dirname "$MOTO_SERVER"):$PATH"
export PATH

# Tests across the tools (tests/e2e) run the binaries of every tool; cargo test
# builds a package's binaries only for that package's own tests, so build all first.
locked=""
for arg in "$@"; do [ "$arg" = "--locked" ] && locked="--locked"; done
cargo build --workspace --bins $locked
cargo test --workspace "$@"
