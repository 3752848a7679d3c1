set -eu
. "$HOSTILE_LIB"
repo
echo 1.2.0 > VERSION && git add VERSION && git commit -qm "feat: start" && git tag v1.2.0
git checkout -qb old && git commit -q --allow-empty -m "feat: x" && git tag v1.3.0 && git checkout -q main
git commit -q --allow-empty -m "feat: real"
