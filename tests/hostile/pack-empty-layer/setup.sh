set -eu
. "$HOSTILE_LIB"
layer
rm -r layer/python/lib
