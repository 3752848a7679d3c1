set -eu
. "$HOSTILE_LIB"
mkzip a.zip python/a.py=one
record a.zip > input.jsonl
mkzip a.zip python/a.py=two
