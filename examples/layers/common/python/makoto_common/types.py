"""Types shared across functions."""

from dataclasses import dataclass
from typing import Generic, NewType, Optional, TypeVar

TenantId = NewType("TenantId", str)
T = TypeVar("T")


@dataclass(frozen=True)
class Result(Generic[T]):
    """A value or an error message, for handlers that must not raise."""

    value: Optional[T] = None
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.error is None
