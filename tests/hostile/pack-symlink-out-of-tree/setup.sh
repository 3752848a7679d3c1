set -eu
. "$HOSTILE_LIB"
layer
echo "S=1" > outside.py
ln -s "$PWD/outside.py" layer/python/lib/linked.py
