set -eu
. "$HOSTILE_LIB"
mkzip z.zip "python\\..\\..\\evil.py=x"
record z.zip > input.jsonl
