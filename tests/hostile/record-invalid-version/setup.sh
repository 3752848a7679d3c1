set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/a.py=x
record z.zip 100 '{"version":"1.0.banana"}' > input.jsonl
