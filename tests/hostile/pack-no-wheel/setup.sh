set -eu
. "$HOSTILE_LIB"
layer
printf "docopt==0.6.2\n" > layer/requirements.txt
