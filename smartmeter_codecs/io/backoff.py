"""Reconnect policy: exponential back-off, bounded, with an optional limit of attempts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

__all__ = ["Backoff", "DEFAULT_BACKOFF"]


@dataclass(frozen=True, slots=True)
class Backoff:
    """How a reader reconnects after a port or connection fails.

    The n-th consecutive failed attempt waits ``min(initial * factor**(n-1), maximum)``
    seconds. The count starts again once a connection delivers data, so a meter that drops
    its link once a day is retried quickly every time.

    Attributes:
        initial: the first wait, in seconds.
        factor: growth per failed attempt (>= 1).
        maximum: the longest wait, in seconds (the bound).
        attempts: give up after this many consecutive failed attempts and raise the last
            error; ``None`` retries until the reader is stopped.
        first: also retry when the very first connection fails (a daemon waiting for a
            bridge to boot); ``False`` raises at once (a CLI user who mistyped the port).
    """

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    attempts: int | None = None
    first: bool = True

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < 0:
            raise ValueError("back-off times must not be negative")
        if self.factor < 1:
            raise ValueError("back-off factor must be >= 1")
        if self.attempts is not None and self.attempts < 0:
            raise ValueError("attempts must be >= 0 or None")

    def delays(self) -> Iterator[float]:
        """The waits before each reconnect attempt, in order (finite when ``attempts`` is set)."""
        delay = self.initial
        n = 0
        while self.attempts is None or n < self.attempts:
            yield min(delay, self.maximum)
            delay = min(delay * self.factor, self.maximum)   # no float overflow after days
            n += 1


DEFAULT_BACKOFF = Backoff()
"""1 s, 2 s, 4 s ... up to 60 s between attempts, for ever (the readers' default)."""
