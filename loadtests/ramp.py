"""The gate in front of the initial sync: devices queue (FIFO) for one of
:class:`easclient.load.ramp.RampLimit`'s slots instead of all hitting the server at once."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from gevent.event import Event

from easclient.load.ramp import RampLimit


class RampGate:
    """Bounded, adaptive concurrency of initial syncs within one load process."""

    def __init__(self, limit: RampLimit | None = None) -> None:
        self.limit = limit or RampLimit()
        self.active = 0
        self.most_active = 0
        self.most_waiting = 0
        self._waiters: deque[Event] = deque()

    def _acquire(self) -> None:
        if self.active < self.limit.slots and not self._waiters:
            self.active += 1
        else:
            turn = Event()
            self._waiters.append(turn)
            self.most_waiting = max(self.most_waiting, len(self._waiters))
            try:
                turn.wait()  # _wake counted us in before waking us
            except BaseException:
                if turn.is_set():
                    self.active -= 1  # a slot handed over that we will not use: pass it on
                    self._wake()
                else:
                    self._waiters.remove(turn)
                raise
        self.most_active = max(self.most_active, self.active)

    def _wake(self) -> None:
        """Hand free slots to the longest waiters, counting them in at once (so that a second
        wake before they run does not hand out the same slot)."""
        while self.active < self.limit.slots and self._waiters:
            self.active += 1
            self._waiters.popleft().set()

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold a slot while the body (one device's initial sync) runs."""
        self._acquire()
        token = self.limit.start()
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.active -= 1
            self.limit.done(token, time.perf_counter() - started if ok else None)
            self._wake()
