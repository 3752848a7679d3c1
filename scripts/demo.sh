#!/usr/bin/env bash
# The whole story on a local AWS emulator: set up, build, start moto_server on
# 127.0.0.1, run the pipe, stop the emulator. Nothing leaves this machine.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

say "Installing what the demo needs (moto_server, uv) if missing"
MOTO_SERVER="$(scripts/setup.sh | tail -n 1)"
export MOTO_SERVER

say "Building the tools"
cargo build --release --workspace --bins --quiet
export PATH="$PWD/target/release:$PATH"

say "Starting the local AWS emulator"
# shellcheck source=scripts/lib/emulator.sh
. scripts/lib/emulator.sh
start_emulator
echo "moto_server is at $AWS_ENDPOINT_URL (pid $EMULATOR_PID)" >&2

# Run one stage; a stage that is not built yet says so and the demo stops there.
stage() {
  local out status
  set +e
  out="$("$@" 2>/tmp/layer-demo-stage.err)"
  status=$?
  set -e
  cat /tmp/layer-demo-stage.err >&2
  if grep -q "not implemented yet" /tmp/layer-demo-stage.err; then
    say "The demo stops here: $1 is not built yet."
    exit 0
  fi
  [ "$status" -eq 0 ] || [ "$status" -eq 1 ] || exit "$status"
  printf '%s\n' "$out"
}

say "layer-bump: the next version from the commits"
stage layer-bump >/dev/null
