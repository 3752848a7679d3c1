"""MAKOTO shared library: the code every function of the platform shares."""

from importlib.metadata import PackageNotFoundError, version

from .types import TenantId, Result
from .utils import chunked, env_flag

__all__ = ["TenantId", "Result", "chunked", "env_flag", "dependency_versions"]


def dependency_versions() -> dict:
    """The versions of the layer's dependencies, read from their own metadata.

    This is why a layer must keep ``*.dist-info``: packages (and this function)
    read their metadata at run time.
    """
    found = {}
    for name in ("requests", "PyYAML", "charset-normalizer"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found
