set -eu
. "$HOSTILE_LIB"
repo
echo "version one" > VERSION && git add VERSION && git commit -qm "feat: a"
