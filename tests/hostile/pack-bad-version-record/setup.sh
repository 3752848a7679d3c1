set -eu
. "$HOSTILE_LIB"
layer
printf '{"schema":"layer-record/v1","version":{"current":"1.0.0","next":"banana","bump":"minor","commits":[]}}\n' > v.jsonl
