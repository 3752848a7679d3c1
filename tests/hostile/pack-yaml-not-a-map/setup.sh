set -eu
. "$HOSTILE_LIB"
layer
printf -- "- a\n- b\n" > layer/layer.yaml
