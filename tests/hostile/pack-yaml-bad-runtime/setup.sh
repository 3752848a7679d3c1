set -eu
. "$HOSTILE_LIB"
layer
printf "name: x\ncompatible_runtimes: [python3.7]\n" > layer/layer.yaml
