"""Small helpers with no dependencies."""

import os
from typing import Iterable, Iterator, List, TypeVar

T = TypeVar("T")


def chunked(items: Iterable[T], size: int) -> Iterator[List[T]]:
    """Yield lists of at most ``size`` items."""
    if size < 1:
        raise ValueError("size must be at least 1")
    chunk: List[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def env_flag(name: str, default: bool = False) -> bool:
    """Read a boolean feature flag from the environment."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}
