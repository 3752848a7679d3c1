set -eu
. "$HOSTILE_LIB"
layer
mkdir -p elsewhere && echo "E=1" > elsewhere/e.py
ln -s "$PWD/elsewhere" layer/python/lib/sub
