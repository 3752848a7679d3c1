set -eu
. "$HOSTILE_LIB"
layer
echo "name: [unclosed" > layer/layer.yaml
