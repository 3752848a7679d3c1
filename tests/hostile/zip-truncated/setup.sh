set -eu
. "$HOSTILE_LIB"
mkzip full.zip python/a.py=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa python/b.py=bbbbbbbbbbbbbbbbbbbbbbbbbb
head -c 100 full.zip > z.zip
rm full.zip
record z.zip > input.jsonl
