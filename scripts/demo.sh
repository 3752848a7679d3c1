#!/usr/bin/env bash
# The whole story on a local AWS emulator, for someone who has never seen the
# project: install what is missing, build the tools, start moto_server on
# 127.0.0.1, create sample functions, deploy the two example layers with
# `layer-bump | layer-pack | layer-publish | layer-attach`, watch, change the
# library, deploy again, roll back with `layer-attach --undo`, watch again, and
# stop the emulator. Nothing is sent anywhere but 127.0.0.1 (and the package
# registries, for installs). The checkout is never written to: the layers are
# copied into a scratch git repository under a temporary folder.
#
# Environment: DEMO_KEEP=1 keeps the scratch folder (records, zips) at the end;
# CARGO_TARGET_DIR is honoured.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STARTED=$SECONDS

bold() { if [ -t 2 ]; then printf '\033[1m%s\033[0m\n' "$*" >&2; else printf '%s\n' "$*" >&2; fi; }
step() { printf '\n' >&2; bold "== $*"; }
tell() { printf '%s\n' "$*" >&2; }
# The demo's helper: sample functions, records in words, checks (scripts/lib/demo.py).
demo_py() { python3 "$ROOT/scripts/lib/demo.py" "$@"; }
# Show a command (a shell snippet, possibly a pipe), then run it.
run() {
  printf '  $ %s\n' "${1//$WORK/\$WORK}" >&2
  eval "$1"
}

for cmd in cargo git python3; do
  command -v "$cmd" >/dev/null 2>&1 || {
    tell "demo: error: $cmd is missing; install it (the demo needs Rust, git and Python 3) and run scripts/demo.sh again"
    exit 2
  }
done

step "1. Installing what the demo needs, if missing (moto_server, the local AWS emulator; uv)"
MOTO_SERVER="$(scripts/setup.sh | tail -n 1)"
export MOTO_SERVER
# uv (which layer-pack prefers to pip) lands next to moto_server.
PATH="$(dirname "$MOTO_SERVER"):$PATH"
tell "moto_server: $MOTO_SERVER"

step "2. Building the five tools (release; the first build takes several minutes)"
cargo build --release --workspace --bins
BIN="${CARGO_TARGET_DIR:-$ROOT/target}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
export PATH="$BIN/release:$PATH"
tell "using $(command -v layer-pack) and its four siblings"

step "3. Starting the local AWS emulator on 127.0.0.1"
WORK="$(mktemp -d -t layer-tools-demo.XXXXXX)"
# shellcheck source=scripts/lib/emulator.sh
. scripts/lib/emulator.sh
start_emulator
finish() {
  stop_emulator
  if [ "${DEMO_KEEP:-0}" = 1 ]; then
    tell "The records and zips are kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap finish EXIT
tell "moto_server pid $EMULATOR_PID listens at $AWS_ENDPOINT_URL (region $AWS_REGION)."
tell "Every tool and every AWS call below goes there: AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL"

step "4. A scratch repository with the two example layers"
tell "The layers of examples/layers are copied into a new git repository under \$WORK=$WORK,"
tell "so the demo can commit and tag there without touching this checkout."
REPO="$WORK/repo"
mkdir -p "$REPO"
cp -R examples/layers "$REPO/layers"
printf 'dist/\n' >"$REPO/.gitignore"
git() { command git -C "$REPO" -c user.name="Demo" -c user.email="demo@example.invalid" -c commit.gpgsign=false -c tag.gpgsign=false "$@"; }
git init --quiet
git add .
git commit --quiet -m "feat: makoto-common and makoto-tenant layers"
tell "  layers/common: makoto_common (requests, PyYAML, ... pinned in requirements.txt), declared as the"
tell "                 guide declares it: python3.11 and 3.12, x86_64 and arm64; PyYAML and charset-normalizer"
tell "                 are native code, so it packs into two builds: makoto-common and makoto-common-arm64"
tell "  layers/tenant: makoto_tenant (attrs), pure Python: python3.11 and 3.12, x86_64 and arm64 in one build"

step "5. Sample functions on the emulator (handler examples/functions/api/handler.py; one on arm64)"
demo_py functions examples/functions/api/handler.py

# One version record per layer, each from the commits that touched that layer,
# each with its own tag prefix; --tag marks the release in the scratch repository.
BUMP="{ layer-bump -C \"$REPO\" --path layers/common --tag-prefix makoto-common-v --tag; layer-bump -C \"$REPO\" --path layers/tenant --tag-prefix makoto-tenant-v --tag; }"
PACK="layer-pack --out-dir \"$WORK/dist\" \"$REPO/layers/common\" \"$REPO/layers/tenant\""

step "6. First deploy: bump | pack | publish | attach, both layers in one pipe"
tell "layer-bump decides each layer's version from its commits; layer-pack installs the pinned"
tell "dependencies for every declared Python and architecture (four installs per layer), gives"
tell "makoto-common one build per architecture with each Python's extensions in its own"
tell "python/lib/pythonX.Y/site-packages, checks and imports them, and writes reproducible zips;"
tell "layer-publish publishes each build as a layer version; layer-attach adds the layers to the"
tell "dev functions (--match 'makoto-*-dev'), each function getting the build of its architecture,"
tell "keeping their other layers. The last record is the deploy record."
run "$BUMP | $PACK | layer-publish | layer-attach --match 'makoto-*-dev' > \"$WORK/deploy-1.jsonl\""
tell ""
tell "What each stage did (from the deploy record \$WORK/deploy-1.jsonl):"
demo_py story "$WORK/deploy-1.jsonl"
tell "makoto-api-prod was not chosen: it does not match 'makoto-*-dev'. makoto-events-dev runs on"
tell "arm64: it got makoto-common-arm64, the x86_64 functions got makoto-common."

step "7. Does the packed layer really work? Unzip the x86_64 build like Lambda does (/opt) and run the handler"
tell "The emulator cannot run functions without Docker, so the local python3 (3.11) stands in, with"
tell "python/lib/python3.11/site-packages and python/ on sys.path as Lambda puts them:"
demo_py imports "$WORK"/dist/makoto-common-[0-9]*.zip "$WORK"/dist/makoto-tenant-*.zip -- examples/functions/api/handler.py
tell "The arm64 build cannot run on this $(uname -m) machine; its shared libraries, by their ELF header:"
demo_py elf "$WORK"/dist/makoto-common-arm64-*.zip

step "8. layer-watch: who runs which version"
run "layer-watch --format table --since 1h makoto-common makoto-common-arm64 makoto-tenant >&2"

step "9. A change to the library, committed"
cat >>"$REPO/layers/common/python/makoto_common/utils.py" <<'EOF'


def first(items, default=None):
    """The first item, or ``default`` when there is none."""
    return next(iter(items), default)
EOF
git commit --quiet -am "feat(utils): first() helper"
tell "  $(git log -1 --format='%h %s') (only layers/common changed)"

step "10. Second deploy: the same pipe; this time layer-attach rolls forward the layers' users"
tell "Without selectors, layer-attach moves every function that already uses a layer (any build of"
tell "it) to its new version: makoto-events-dev to makoto-common-arm64's. makoto-tenant did not"
tell "change: its zip is byte-for-byte the same, so layer-publish reuses the published version, and"
tell "its users stay as they are."
demo_py layers >"$WORK/layers-before-deploy-2.json"
run "$BUMP | $PACK | layer-publish | layer-attach > \"$WORK/deploy-2.jsonl\""
tell ""
tell "What each stage did (\$WORK/deploy-2.jsonl):"
demo_py story "$WORK/deploy-2.jsonl"
run "layer-watch --format table --since 1h < \"$WORK/deploy-2.jsonl\" >&2"

step "11. Roll back: layer-attach --undo with the deploy record"
tell "The deploy record holds every function's layer list before and after; --undo puts back"
tell "'before' wherever the function still has the deploy's 'after' (anything else is a conflict)."
run "layer-attach --undo \"$WORK/deploy-2.jsonl\" > \"$WORK/undo-2.jsonl\""
demo_py story "$WORK/undo-2.jsonl" --attachments
tell ""
tell "Every function's layers, compared with before the second deploy:"
demo_py expect-layers "$WORK/layers-before-deploy-2.json" "$(demo_py layers)"

step "12. layer-watch after the rollback: the functions are behind the latest version again"
tell "(From the deploy record: each build of makoto-common is reported on its own, and a function"
tell "is behind only its own build's latest version.)"
run "layer-watch --format table --since 1h < \"$WORK/deploy-2.jsonl\" >&2"
tell "(Version 2 of both builds stays published; the next deploy moves them again.)"

step "Done in $((SECONDS - STARTED)) s: deployed, changed, deployed again, rolled back. Stopping the emulator."
