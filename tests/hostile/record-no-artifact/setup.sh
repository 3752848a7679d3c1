set -eu
. "$HOSTILE_LIB"
printf '{"schema":"layer-record/v1","layer":{"name":"x","compatible_runtimes":["python3.12"]}}\n' > input.jsonl
