set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/ok.py=x python/passwd=@link:/etc/passwd
record z.zip > input.jsonl
