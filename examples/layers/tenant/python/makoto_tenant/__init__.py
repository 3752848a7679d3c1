"""Tenant routing: which tenant a request belongs to."""

import attrs


@attrs.frozen
class Tenant:
    id: str
    region: str = "ap-northeast-1"


def from_event(event: dict) -> Tenant:
    """The tenant named by an API Gateway event's header or path parameter."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    tenant = headers.get("x-tenant-id") or (event.get("pathParameters") or {}).get("tenant")
    if not tenant:
        raise ValueError("the event names no tenant (x-tenant-id header or {tenant} path)")
    return Tenant(id=tenant)
