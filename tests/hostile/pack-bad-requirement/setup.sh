set -eu
. "$HOSTILE_LIB"
layer
printf "this is not ! a requirement\n" > layer/requirements.txt
