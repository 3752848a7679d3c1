set -eu
. "$HOSTILE_LIB"
layer
mkdir -p layer/extra && echo "" > layer/extra/__init__.py
