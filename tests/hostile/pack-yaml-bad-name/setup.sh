set -eu
. "$HOSTILE_LIB"
layer
printf "name: ../../etc\ncompatible_runtimes: [python3.11]\n" > layer/layer.yaml
