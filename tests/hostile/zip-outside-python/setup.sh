set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/ok.py=x bin/run=x
record z.zip > input.jsonl
