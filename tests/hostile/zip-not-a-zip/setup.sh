set -eu
. "$HOSTILE_LIB"
echo "not a zip at all" > z.zip
record z.zip > input.jsonl
