set -eu
. "$HOSTILE_LIB"
mkzip big.zip python/zeros.bin=@zeros:263000000
record big.zip 100 > input.jsonl
