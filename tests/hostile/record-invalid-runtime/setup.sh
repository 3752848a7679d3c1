set -eu
. "$HOSTILE_LIB"
mkzip z.zip python/a.py=x
record z.zip 100 '{"compatible_runtimes":["python2.7x"]}' > input.jsonl
