#!/usr/bin/env bash
# Benchmark layer-bump on a generated repository with many commits, next to the
# bare `git log` it runs, so that the tool's own overhead shows.
#
#   scripts/bench-bump.sh              # 50,000 commits
#   COMMITS=200000 scripts/bench-bump.sh
#
# Needs git and python3; uses hyperfine when installed (`apt-get install
# hyperfine`), else times the commands itself (median of RUNS runs, default 20).
# Builds layer-bump in release mode. Touches nothing outside a temporary folder.
set -euo pipefail

COMMITS=${COMMITS:-50000}
RUNS=${RUNS:-20}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# The machine's git configuration must not change the figures.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid

echo "building layer-bump (release)..." >&2
cargo build --quiet --release -p layer-bump --manifest-path "$ROOT/Cargo.toml"
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BUMP="$TARGET_DIR/release/layer-bump"

REPO="$WORK/repo"
git init --quiet --initial-branch=main "$REPO"

# A fast-import stream: COMMITS commits, each changing one of 50 files in one of
# two layers, with a mix of Conventional Commit messages (some with bodies and
# footers, some not conventional at all). v1.0.0 tags the first commit, so
# layer-bump reads all the others.
echo "generating $COMMITS commits with git fast-import..." >&2
start=$(date +%s.%N)
python3 - "$COMMITS" <<'PY' | git -C "$REPO" fast-import --quiet
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
kinds = ["fix", "fix", "feat", "chore", "docs", "perf", "refactor", "Update"]
when = 1_700_000_000
for i in range(1, n + 1):
    layer = "common" if i % 3 else "ml"
    kind = kinds[i % len(kinds)]
    if kind == "Update":
        msg = f"Update things in {layer} ({i})\n"
    else:
        msg = f"{kind}({layer}): change number {i}\n"
    if i % 5 == 0:
        msg += f"\nA body that explains change {i} over\nseveral lines.\n\nRefs: #{i}\n"
    if i == n // 2:
        msg = f"feat({layer})!: the one breaking change\n\nBREAKING CHANGE: callers must migrate\n"
    data = msg.encode()
    content = f"value = {i}\n".encode()
    out.write(b"commit refs/heads/main\n")
    out.write(b"mark :%d\n" % i)
    out.write(b"committer bench <bench@example.invalid> %d +0000\n" % (when + i))
    out.write(b"data %d\n%s\n" % (len(data), data))
    if i > 1:
        out.write(b"from :%d\n" % (i - 1))
    path = f"layers/{layer}/module{i % 50}.py".encode()
    out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (path, len(content), content))
out.write(b"reset refs/tags/v1.0.0\nfrom :1\n\n")
PY
git -C "$REPO" reset --quiet --hard main
end=$(date +%s.%N)
printf 'generated in %.1f s: %s commits\n' "$(awk "BEGIN {print $end - $start}")" \
  "$(git -C "$REPO" rev-list --count HEAD)" >&2

# The git log layer-bump runs (see layer-bump/src/git.rs), bare. layer-bump reads
# its output through a pipe, so the bare log writes into one too (`| cat`):
# moving 5 MB through a pipe is part of git's cost, not the tool's.
LOG="git -C $REPO -c i18n.logOutputEncoding=UTF-8 -c log.showSignature=false log -z --no-merges --format=%H%x00%B"
piped() { echo "bash -c '$1 | cat > /dev/null'"; }
# Check that layer-bump reads what we think it reads.
"$BUMP" -q -C "$REPO" | python3 -c 'import json, sys; v = json.load(sys.stdin)["version"]; print("layer-bump: %s -> %s (%s), %s commits counted" % (v["current"], v["next"], v["bump"], v["counted"]), file=sys.stderr)'

echo "git $(git --version | cut -d' ' -f3), $(nproc) cores" >&2
if command -v hyperfine >/dev/null; then
  # -N: no shell in between, so only the commands themselves are timed.
  hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$WORK/bench.json" \
    -n "git log v1.0.0..HEAD" "$(piped "$LOG v1.0.0..HEAD --")" \
    -n "git merge-base --is-ancestor v1.0.0 HEAD" "git -C $REPO merge-base --is-ancestor v1.0.0 HEAD" \
    -n "layer-bump" "$BUMP -q -C $REPO" \
    -n "git log HEAD" "$(piped "$LOG HEAD --")" \
    -n "layer-bump --tag-prefix none- (no release tag)" "$BUMP -q -C $REPO --tag-prefix none-" \
    -n "git log v1.0.0..HEAD -- layers/ml" "$(piped "$LOG v1.0.0..HEAD -- layers/ml")" \
    -n "layer-bump --path layers/ml" "$BUMP -q -C $REPO --path layers/ml" >&2
  python3 - "$WORK/bench.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print("| command | wall, mean ± sd | user CPU | system CPU |")
print("|:---|---:|---:|---:|")
for r in results:
    ms = lambda s: f"{s * 1000:.0f} ms"
    print(f"| `{r['command']}` | {ms(r['mean'])} ± {ms(r['stddev'])} | {ms(r['user'])} | {ms(r['system'])} |")
PY
else
  median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  time_it() {
    for _ in $(seq "$RUNS"); do
      s=$(date +%s%N); bash -c "$1" > /dev/null; e=$(date +%s%N)
      echo $(((e - s) / 1000000))
    done | median
  }
  echo "| command | wall, median |"
  echo "|:---|---:|"
  echo "| git log v1.0.0..HEAD | $(time_it "$LOG v1.0.0..HEAD -- | cat") ms |"
  echo "| git merge-base --is-ancestor v1.0.0 HEAD | $(time_it "git -C $REPO merge-base --is-ancestor v1.0.0 HEAD") ms |"
  echo "| layer-bump | $(time_it "$BUMP -q -C $REPO") ms |"
  echo "| git log HEAD | $(time_it "$LOG HEAD -- | cat") ms |"
  echo "| layer-bump --tag-prefix none- (no release tag) | $(time_it "$BUMP -q -C $REPO --tag-prefix none-") ms |"
  echo "| git log v1.0.0..HEAD -- layers/ml | $(time_it "$LOG v1.0.0..HEAD -- layers/ml | cat") ms |"
  echo "| layer-bump --path layers/ml | $(time_it "$BUMP -q -C $REPO --path layers/ml") ms |"
fi
