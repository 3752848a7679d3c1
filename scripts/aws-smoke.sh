#!/usr/bin/env bash
# A smoke test of the whole pipe against a real AWS account (or an emulator):
# a throwaway layer and two throwaway functions under a unique prefix go
# through layer-bump | layer-pack | layer-publish | layer-attach, layer-watch
# reports them, layer-attach --undo rolls the deploy back, and everything the
# script created is deleted again (also when a step fails, or on Ctrl-C).
#
#   LAYER_TOOLS_AWS_SMOKE=1 scripts/aws-smoke.sh --profile sandbox --region eu-west-1
#   LAYER_TOOLS_AWS_SMOKE=1 scripts/aws-smoke.sh --endpoint-url http://127.0.0.1:5000 --region us-east-1
#
# It refuses to run without LAYER_TOOLS_AWS_SMOKE=1 and an explicit --profile or
# --endpoint-url: it creates and deletes real resources (an IAM role unless
# --role-arn names one, two functions, a layer), so it never runs by accident,
# and never in CI. It needs the aws CLI, python3 and git, and the layer tools
# on PATH (or in the folder LAYER_TOOLS_BIN names).
#
# Options:
#   --profile NAME       the AWS profile to use (with the account's credentials)
#   --endpoint-url URL   send every request to URL instead (a local emulator)
#   --region REGION      the region [default: AWS_REGION, AWS_DEFAULT_REGION]
#   --role-arn ARN       an existing execution role for the two functions
#                        (otherwise one is created under the prefix, and deleted)
# Exit: 0 every step passed; 1 a step failed (what was created is still deleted);
# 2 refused to run.
set -euo pipefail

say() { echo "aws-smoke: $*" >&2; }
refuse() {
  say "$1"
  [ -n "${2:-}" ] && say "fix: $2"
  exit 2
}

profile="" endpoint="" region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" role_arn=""
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="${2:?--profile needs a name}"; shift 2 ;;
    --endpoint-url) endpoint="${2:?--endpoint-url needs a URL}"; shift 2 ;;
    --region) region="${2:?--region needs a region}"; shift 2 ;;
    --role-arn) role_arn="${2:?--role-arn needs an ARN}"; shift 2 ;;
    -h | --help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) refuse "unknown argument: $1" "see scripts/aws-smoke.sh --help" ;;
  esac
done

[ "${LAYER_TOOLS_AWS_SMOKE:-}" = 1 ] ||
  refuse "this script creates and deletes AWS resources; it runs only when asked" \
    "set LAYER_TOOLS_AWS_SMOKE=1 (and never in CI)"
[ -n "$profile$endpoint" ] ||
  refuse "no --profile or --endpoint-url: the account to use must be named explicitly" \
    "pass --profile NAME (an account you may create functions in) or --endpoint-url URL (an emulator)"
[ -n "$region" ] || refuse "no region" "pass --region REGION"
for tool in aws python3 git; do
  command -v "$tool" >/dev/null || refuse "$tool is not on PATH" "install it"
done
bin="${LAYER_TOOLS_BIN:-}"
tool() { if [ -n "$bin" ]; then echo "$bin/$1"; else command -v "$1"; fi; }
for name in layer-bump layer-pack layer-publish layer-attach layer-watch; do
  [ -x "$(tool "$name" || true)" ] ||
    refuse "$name not found" "put the layer tools on PATH (cargo install --path $name), or set LAYER_TOOLS_BIN"
done

# The same account, region and endpoint for the tools and the aws CLI.
aws_flags=(--region "$region")
[ -n "$profile" ] && aws_flags+=(--profile "$profile")
[ -n "$endpoint" ] && aws_flags+=(--endpoint-url "$endpoint")
awscli() { aws "${aws_flags[@]}" --output json "$@"; }
export AWS_PAGER=""

prefix="lt-smoke-$(date -u +%Y%m%d%H%M%S)-$$"
layer="$prefix-layer"
functions=("$prefix-a" "$prefix-b")
work="$(mktemp -d -t aws-smoke.XXXXXX)"
created_role="" created_functions=() published=0

cleanup() {
  local status=$?
  set +e
  for fn in "${created_functions[@]}"; do
    awscli lambda delete-function --function-name "$fn" >/dev/null && say "deleted function $fn"
  done
  if [ "$published" = 1 ]; then
    for version in $(awscli lambda list-layer-versions --layer-name "$layer" \
      --query 'LayerVersions[].Version' --output text 2>/dev/null); do
      awscli lambda delete-layer-version --layer-name "$layer" --version-number "$version" &&
        say "deleted layer version $layer:$version"
    done
  fi
  if [ -n "$created_role" ]; then
    awscli iam delete-role --role-name "$created_role" >/dev/null && say "deleted role $created_role"
  fi
  rm -rf "$work"
  if [ "$status" = 0 ]; then say "passed; everything created under $prefix was deleted"; else say "FAILED (exit $status); everything created under $prefix was deleted"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check() {
  # check DESCRIPTION PYTHON-EXPRESSION FILE: the expression over `records` (the
  # file's JSON lines, or its one JSON document) must hold.
  python3 - "$2" "$3" <<'PY' || { say "check failed: $1"; exit 1; }
import json, sys
text = open(sys.argv[2]).read()
try:
    records = [json.loads(text)]
except ValueError:
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
sys.exit(0 if eval(sys.argv[1], {"records": records}) else 1)
PY
  say "ok: $1"
}

say "prefix $prefix, region $region${profile:+, profile $profile}${endpoint:+, endpoint $endpoint}"

# An execution role for the functions.
if [ -z "$role_arn" ]; then
  created_role="$prefix-role"
  role_arn="$(awscli iam create-role --role-name "$created_role" \
    --assume-role-policy-document '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}' \
    --query Role.Arn --output text)"
  say "created role $created_role"
  # IAM is eventually consistent: a new role takes a few seconds to be usable by Lambda.
  [ -n "$endpoint" ] || sleep 10
fi

# Two functions without layers.
python3 - "$work/function.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as archive:
    archive.writestr("handler.py", "import smoke_lib\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': smoke_lib.NAME}\n")
PY
for fn in "${functions[@]}"; do
  awscli lambda create-function --function-name "$fn" --runtime python3.12 --role "$role_arn" \
    --handler handler.handler --zip-file "fileb://$work/function.zip" >/dev/null
  created_functions+=("$fn")
  awscli lambda wait function-active-v2 --function-name "$fn"
  say "created function $fn"
done

# The layer's source, in a git repository for layer-bump.
mkdir -p "$work/repo/layer/python/smoke_lib"
cat >"$work/repo/layer/layer.yaml" <<EOF
name: $layer
description: layer-tools smoke test
compatible_runtimes: [python3.12]
compatible_architectures: [x86_64]
license: MIT
EOF
echo 'NAME = "smoke"' >"$work/repo/layer/python/smoke_lib/__init__.py"
git -C "$work/repo" init -q
git -C "$work/repo" -c user.name=smoke -c user.email=smoke@example.invalid add -A
git -C "$work/repo" -c user.name=smoke -c user.email=smoke@example.invalid commit -qm "feat: a smoke-test layer"

tool_flags=(--region "$region")
[ -n "$profile" ] && tool_flags+=(--profile "$profile")
[ -n "$endpoint" ] && tool_flags+=(--endpoint-url "$endpoint")

# The pipe.
published=1
(cd "$work/repo" &&
  "$(tool layer-bump)" --path layer |
  "$(tool layer-pack)" layer --out-dir "$work/dist" |
  "$(tool layer-publish)" "${tool_flags[@]}" |
  "$(tool layer-attach)" "${tool_flags[@]}" --function "${functions[0]}" --function "${functions[1]}") \
  >"$work/deploy.jsonl"
check "layer-publish published version 1 of $layer" \
  "records[0]['published']['layer_name'] == '$layer' and records[0]['published']['version'] == 1" "$work/deploy.jsonl"
check "layer-attach updated both functions" \
  "sorted(a['function'] for a in records[0]['attachments'] if a['status'] == 'updated') == sorted(['${functions[0]}', '${functions[1]}'])" \
  "$work/deploy.jsonl"
for fn in "${functions[@]}"; do
  awscli lambda get-function-configuration --function-name "$fn" >"$work/$fn.json"
  check "$fn runs the new layer version" \
    "[l['Arn'] for l in records[0].get('Layers', [])] == ['$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['published']['version_arn'])" "$work/deploy.jsonl")']" \
    "$work/$fn.json"
done

"$(tool layer-watch)" "${tool_flags[@]}" "$layer" --no-metrics --format json >"$work/watch.jsonl"
check "layer-watch sees both functions on the latest version" \
  "records[0]['drift']['functions_using'] == 2 and records[0]['drift']['functions_behind'] == 0" "$work/watch.jsonl"

"$(tool layer-attach)" "${tool_flags[@]}" --undo "$work/deploy.jsonl" >"$work/undo.jsonl"
check "layer-attach --undo restored both functions" \
  "sorted(a['status'] for a in records[0]['attachments']) == ['restored', 'restored']" "$work/undo.jsonl"
for fn in "${functions[@]}"; do
  awscli lambda get-function-configuration --function-name "$fn" >"$work/$fn.json"
  check "$fn has no layer again" "not records[0].get('Layers')" "$work/$fn.json"
done
