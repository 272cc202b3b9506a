"""How many initial syncs a load process lets run at once: a limit that follows the server.

A fleet joining faster than the server answers must queue, not time out and retry. Each load
process lets at most ``limit`` devices do their initial sync (Provision, FolderSync, Sync) at a
time; the others wait their turn in order. The limit follows the server like TCP's congestion
window (additive increase, multiplicative decrease): every initial sync that finishes about as
fast as the best one seen widens it by one; one that takes much longer than that, or fails,
narrows it by a factor, at most once per round (a narrowing takes effect for syncs started after
it). So the ramp settles at what the server sustains, whatever ``--spawn-rate`` asked for.

No I/O and no clock here: the caller passes durations (loadtests/ramp.py holds the gevent gate).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RampLimit:
    """The AIMD concurrency limit of initial syncs (see the module docstring)."""

    limit: float = 8.0
    minimum: float = 2.0
    maximum: float = 512.0
    #: A sync is "slow" beyond ``slow_factor`` times the best seen, plus ``slack`` seconds.
    slow_factor: float = 4.0
    slack: float = 1.0
    #: Multiplicative decrease.
    decrease: float = 0.7
    best: float | None = None
    increases: int = 0
    decreases: int = 0
    _epoch: int = field(default=0, repr=False)

    def start(self) -> int:
        """A sync starts: the token to give back to :meth:`done`."""
        return self._epoch

    def threshold(self) -> float | None:
        """Seconds beyond which a sync counts as slow (None before the first one)."""
        if self.best is None:
            return None
        return self.best * self.slow_factor + self.slack

    def done(self, token: int, seconds: float | None) -> None:
        """A sync started at ``token`` ended after ``seconds`` (None: it failed)."""
        if seconds is not None and (self.best is None or seconds < self.best):
            self.best = seconds
        limit = self.threshold()
        slow = seconds is None or (limit is not None and seconds > limit)
        if not slow:
            self.limit = min(self.maximum, self.limit + 1.0)
            self.increases += 1
        elif token == self._epoch:
            # Only once per round: syncs that started before the last decrease say nothing new.
            self.limit = max(self.minimum, self.limit * self.decrease)
            self.decreases += 1
            self._epoch += 1

    @property
    def slots(self) -> int:
        return max(1, int(self.limit))
