set -eu
. "$HOSTILE_LIB"
layer
printf "name: x\ncompatible_runtime: [python3.11]\n" > layer/layer.yaml
