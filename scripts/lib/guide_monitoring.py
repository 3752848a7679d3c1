"""The operations guide's monitoring script (section 7, monitoring.py), as the
guide writes it with boto3: ListFunctions, then three GetMetricStatistics calls
per function using the layer (Invocations Sum, Errors Sum, Duration Average).
Its wildcard-prefix filter ("arn:aws:lambda:*:*:layer:NAME") never matches, so
it is fixed to compare layer ARNs, or it would find no function at all.

Used by layer-watch/tests/bench.rs (scripts/bench-watch.sh): it talks to
AWS_ENDPOINT_URL (the harness proxy in front of moto) and prints one JSON line:
its wall time, its requests per service, and the totals it computes.

    python3 guide_monitoring.py LAYER WINDOW_SECONDS
"""

import datetime
import json
import sys
import time

import boto3

layer_name, seconds = sys.argv[1], int(sys.argv[2])
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
newest = lam.list_layer_versions(LayerName=layer_name)["LayerVersions"][0]
layer = newest["LayerVersionArn"].rsplit(":", 1)[0]
functions = []
for page in lam.get_paginator("list_functions").paginate():
    for function in page["Functions"]:
        if any(l["Arn"].rsplit(":", 1)[0] == layer for l in function.get("Layers", [])):
            functions.append(function["FunctionName"])
end_time = datetime.datetime.now(datetime.timezone.utc)
start_time = end_time - datetime.timedelta(seconds=seconds)


def statistic(function, metric, stat):
    points = cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=metric,
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=start_time,
        EndTime=end_time,
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    values = [p[stat] for p in points]
    if not values:
        return 0
    return sum(values) if stat == "Sum" else sum(values) / len(values)


metrics = {"invocations": 0, "errors": 0, "duration_avg": 0}
for function in functions:
    metrics["invocations"] += statistic(function, "Invocations", "Sum")
    metrics["errors"] += statistic(function, "Errors", "Sum")
    metrics["duration_avg"] += statistic(function, "Duration", "Average")
if functions:
    metrics["duration_avg"] /= len(functions)  # the guide's average of averages
print(
    json.dumps(
        {
            "wall_s": round(time.time() - start, 2),
            "cloudwatch_calls": calls["cloudwatch"],
            "lambda_calls": calls["lambda"],
            "functions_using": len(functions),
            "invocations": int(metrics["invocations"]),
            "errors": int(metrics["errors"]),
            "average_duration_ms": round(metrics["duration_avg"], 3),
        }
    )
)
