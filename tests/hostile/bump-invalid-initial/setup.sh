set -eu
. "$HOSTILE_LIB"
repo
git commit -q --allow-empty -m "feat: a"
