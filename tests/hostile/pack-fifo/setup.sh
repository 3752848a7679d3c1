set -eu
. "$HOSTILE_LIB"
layer
mkfifo layer/python/lib/pipe
