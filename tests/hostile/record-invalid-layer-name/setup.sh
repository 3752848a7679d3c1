set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/a.py=x
NAME="bad name!" record z.zip > input.jsonl
