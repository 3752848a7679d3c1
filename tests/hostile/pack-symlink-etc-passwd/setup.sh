set -eu
. "$HOSTILE_LIB"
layer
ln -s ../../../../../../../../../etc/passwd layer/python/lib/passwd
