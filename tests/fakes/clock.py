"""A clock that moves only when a test moves it: runner timings become exact, whatever the machine's load."""

from __future__ import annotations


class ManualClock:
    """Epoch seconds; call it like ``time.time``."""

    def __init__(self, now: float = 1_775_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
