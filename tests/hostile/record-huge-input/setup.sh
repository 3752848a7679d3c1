set -eu
python3 -c "
import sys
with open('input.jsonl','w') as f:
    f.write('{\"schema\":\"layer-record/v1\",\"pad\":\"' + 'x' * (65 * 1024 * 1024) + '\"}\n')
"
