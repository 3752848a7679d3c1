set -eu
. "$HOSTILE_LIB"
layer
echo "S=1" > layer/python/lib/secret.py
chmod 000 layer/python/lib/secret.py
