set -eu
. "$HOSTILE_LIB"
repo
echo "01.2.3" > VERSION && git add VERSION && git commit -qm "feat: a"
