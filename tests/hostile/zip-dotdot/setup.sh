set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/ok.py=x "python/../../etc/cron.d/evil=x"
record z.zip > input.jsonl
