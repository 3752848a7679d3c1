"""A sample function that uses both layers: scripts/demo.sh deploys it.

The layers put makoto_common and makoto_tenant (and their dependencies) on the
function's path under /opt/python; the function's own zip holds only this file.
"""

from makoto_common import Result, dependency_versions
from makoto_tenant import from_event


def handler(event, context):
    try:
        tenant = from_event(event)
    except ValueError as err:
        return {"statusCode": 400, "body": str(err)}
    result = Result(value={"tenant": tenant.id, "libraries": dependency_versions()})
    return {"statusCode": 200, "body": result.value}
