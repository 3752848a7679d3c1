set -eu
. "$HOSTILE_LIB"
layer
truncate -s 263000000 layer/python/lib/huge.bin
