set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/a.py=x
record z.zip 300000000 > input.jsonl
