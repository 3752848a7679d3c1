#!/usr/bin/env bash
# Benchmark layer-watch against the operations guide's monitoring script, on a
# local moto_server (127.0.0.1 only) that this script starts and stops.
#
#   scripts/bench-watch.sh              # 1,000 functions
#   FUNCTIONS=200 scripts/bench-watch.sh
#
# Seeds FUNCTIONS functions on two versions of one layer, with Invocations,
# Errors and Duration datapoints for each, then measures:
#   - layer-watch (release build): wall time, and its CloudWatch requests as
#     counted by its SDK interceptor (logged on stderr at -v);
#   - the guide's approach (section 7, monitoring.py): ListFunctions, then three
#     GetMetricStatistics calls per function (Invocations Sum, Errors Sum,
#     Duration Average). It is emulated with boto3, as the guide is, with its
#     wildcard-prefix filter fixed so that it finds the functions at all; its
#     requests are counted with a botocore before-send hook.
# Both read the same data; the script prints the totals each one computes.
set -euo pipefail
cd "$(dirname "$0")/.."
FUNCTIONS="${FUNCTIONS:-1000}"
WINDOW="${WINDOW:-1h}"

target_dir="${CARGO_TARGET_DIR:-target}"
watch="${LAYER_WATCH:-$target_dir/release/layer-watch}"
if [ -z "${LAYER_WATCH:-}" ]; then
  echo "== building layer-watch (release)" >&2
  cargo build --release -p layer-watch >&2
fi

# shellcheck source=lib/emulator.sh
source scripts/lib/emulator.sh
start_emulator
export AWS_DEFAULT_REGION="$AWS_REGION"
work="$(mktemp -d -t bench-watch.XXXXXX)"
trap 'stop_emulator; rm -rf "$work"' EXIT

echo "== seeding $FUNCTIONS functions and their metrics on $AWS_ENDPOINT_URL" >&2
python3 - "$FUNCTIONS" "$work/expected.json" <<'PY'
import datetime, io, json, sys, zipfile
import boto3

count, expected_path = int(sys.argv[1]), sys.argv[2]

def zipped(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()

iam, lam, cw = boto3.client("iam"), boto3.client("lambda"), boto3.client("cloudwatch")
role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
versions = [
    lam.publish_layer_version(LayerName="common", Content={"ZipFile": zipped({"python/c.py": "v" * n})})["LayerVersionArn"]
    for n in (1, 2)
]
code = zipped({"handler.py": "def handler(e, c):\n    return 1\n"})
when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)
datums, totals = [], {"invocations": 0, "errors": 0, "duration_ms": 0.0}
for i in range(count):
    name = f"fn-{i:04d}"
    # One in four still on the old version: drift.
    lam.create_function(FunctionName=name, Runtime="python3.11", Role=role, Handler="handler.handler",
                        Code={"ZipFile": code}, Layers=[versions[0 if i % 4 == 0 else 1]])
    invocations, errors = (i % 50) + 1, i % 3
    average = 10.0 + (i % 200)
    dims = [{"Name": "FunctionName", "Value": name}]
    datums += [
        {"MetricName": "Invocations", "Dimensions": dims, "Timestamp": when, "Value": invocations},
        {"MetricName": "Errors", "Dimensions": dims, "Timestamp": when, "Value": errors},
        # Duration as CloudWatch keeps it: one aggregate with its sample count.
        {"MetricName": "Duration", "Dimensions": dims, "Timestamp": when,
         "StatisticValues": {"SampleCount": invocations, "Sum": invocations * average,
                             "Minimum": average, "Maximum": average}},
    ]
    totals["invocations"] += invocations
    totals["errors"] += errors
    totals["duration_ms"] += invocations * average
# botocore speaks rpc-v2 CBOR to CloudWatch, and moto 5.2 fails (HTTP 500) to
# decode a PutMetricData of about 100 datums or more: small batches.
for start in range(0, len(datums), 50):
    cw.put_metric_data(Namespace="AWS/Lambda", MetricData=datums[start:start + 50])
totals["average_duration_ms"] = totals["duration_ms"] / totals["invocations"]
json.dump(totals, open(expected_path, "w"))
PY

now() { python3 -c 'import time; print(time.time())'; }

# The machine is shared: say how busy it was when each measurement started.
load() { echo "load average (1, 5, 15 min) before $1: $(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

run_watch() {
  local label="$1"; shift
  local start end
  load "$label"
  start="$(now)"
  "$watch" common --since "$WINDOW" -v "$@" >"$work/$label.json" 2>"$work/$label.err"
  end="$(now)"
  python3 - "$label" "$start" "$end" "$work/$label.json" "$work/$label.err" "$FUNCTIONS" <<'PY'
import json, math, re, sys
label, start, end, out, err, count = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
report = json.loads(open(out).read())
log = open(err).read()
def calls(op):
    found = re.findall(op + r"=(\d+)", log)
    return int(found[-1]) if found else 0
cloudwatch = calls(r"CloudWatch\.GetMetricData")
lambda_found = re.findall(r"\(.*\bLambda (\d+)[,)]", log)
lambda_calls = int(lambda_found[-1]) if lambda_found else 0
bound = math.ceil(4 * count / 500)
m = report["metrics"] or {}  # null with --no-metrics
average = m.get("average_duration_ms")
print(json.dumps({"approach": label, "wall_s": round(end - start, 2), "cloudwatch_calls": cloudwatch,
                  "bound": bound, "lambda_calls": lambda_calls, "functions_using": report["drift"]["functions_using"],
                  "functions_behind": report["drift"]["functions_behind"], "invocations": m.get("invocations"),
                  "errors": m.get("errors"), "average_duration_ms": None if average is None else round(average, 3)}))
if cloudwatch > bound:
    sys.exit(f"{label}: {cloudwatch} GetMetricData calls, more than ceil(4 x {count} / 500) = {bound}")
PY
}

echo "== layer-watch" >&2
run_watch layer-watch | tee "$work/results.jsonl"
run_watch layer-watch-no-aliases --no-aliases | tee -a "$work/results.jsonl"
# Inventory only, to see how much of the wall time CloudWatch (here: moto) takes.
run_watch layer-watch-no-metrics --no-metrics | tee -a "$work/results.jsonl"

echo "== the guide's approach (boto3, three GetMetricStatistics per function)" >&2
load guide
python3 - "$WINDOW" <<'PY' | tee -a "$work/results.jsonl"
import datetime, json, re, sys, time
import boto3

window = sys.argv[1]
seconds = int(window[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[window[-1]]
calls = {"cloudwatch": 0, "lambda": 0}
session = boto3.session.Session()
def counter(service):
    def count(**_):
        calls[service] += 1
    return count
cw, lam = session.client("cloudwatch"), session.client("lambda")
cw.meta.events.register("before-send.cloudwatch.*", counter("cloudwatch"))
lam.meta.events.register("before-send.lambda.*", counter("lambda"))

start = time.time()
layer = lam.list_layer_versions(LayerName="common")["LayerVersions"][0]["LayerVersionArn"].rsplit(":", 1)[0]
functions = []
for page in lam.get_paginator("list_functions").paginate():
    for function in page["Functions"]:
        # The guide's "arn:aws:lambda:*:*:layer:NAME" prefix never matches; compare layers instead.
        if any(l["Arn"].rsplit(":", 1)[0] == layer for l in function.get("Layers", [])):
            functions.append(function["FunctionName"])
end_time = datetime.datetime.now(datetime.timezone.utc)
start_time = end_time - datetime.timedelta(seconds=seconds)
def statistic(function, metric, stat):
    points = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName=metric,
        Dimensions=[{"Name": "FunctionName", "Value": function}], StartTime=start_time, EndTime=end_time,
        Period=3600, Statistics=[stat])["Datapoints"]
    values = [p[stat] for p in points]
    return (sum(values) if stat == "Sum" else sum(values) / len(values)) if values else 0
metrics = {"invocations": 0, "errors": 0, "duration_avg": 0}
for function in functions:
    metrics["invocations"] += statistic(function, "Invocations", "Sum")
    metrics["errors"] += statistic(function, "Errors", "Sum")
    metrics["duration_avg"] += statistic(function, "Duration", "Average")
if functions:
    metrics["duration_avg"] /= len(functions)  # the guide's average of averages
print(json.dumps({"approach": "guide (boto3)", "wall_s": round(time.time() - start, 2),
                  "cloudwatch_calls": calls["cloudwatch"], "lambda_calls": calls["lambda"],
                  "functions_using": len(functions), "invocations": int(metrics["invocations"]),
                  "errors": int(metrics["errors"]), "average_duration_ms": round(metrics["duration_avg"], 3)}))
PY

echo "== expected (computed while seeding)" >&2
cat "$work/expected.json"; echo
