set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/a.py=x
record z.zip | sed 's/"findings": \[\]/"findings":[{"severity":"error","check":"glibc","message":"needs glibc 2.34"}]/' > input.jsonl
