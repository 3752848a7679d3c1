set -eu
. "$HOSTILE_LIB"
mkzip gone.zip python/a.py=x
record gone.zip > input.jsonl
rm gone.zip
