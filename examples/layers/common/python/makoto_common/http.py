"""An HTTP session with the platform's defaults (uses the layer's requests)."""

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry


def session(retries: int = 3, timeout: float = 5.0) -> requests.Session:
    """A session that retries idempotent requests with backoff."""
    retry = Retry(total=retries, backoff_factor=0.2, status_forcelist=(429, 500, 502, 503, 504))
    s = requests.Session()
    s.mount("https://", HTTPAdapter(max_retries=retry))
    s.request = _with_timeout(s.request, timeout)  # type: ignore[method-assign]
    return s


def _with_timeout(request, timeout):
    def call(method, url, **kwargs):
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return call
