set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/ok.py=x /etc/evil=x
record z.zip > input.jsonl
