"""Parallel probe lanes: one device per lane, each living in its own thread.

Each lane is a separate device (its own DeviceId), because a server ends a device's parked Ping
when the same device sends another: parallel Pings must come from different devices. A lane's
device is made, used and closed in that lane's own worker thread (its SQLite state belongs to
the thread that opened it).

Workers are daemon threads: the probe does not wait for Pings whose answer it already knows
(see `easclient.check.probe`), so closing the lanes must not wait for them either. Each such
Ping still ends by heartbeat + margin, and the lane closes its device right after.
"""

from __future__ import annotations

import functools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from easclient.client import PingOutcome
from easclient.errors import EasError
from easclient.protocol import FolderType

from .context import CheckOptions
from .device import CheckDevice
from .probe import ProbeSample
from .target import CheckError, Target


class _Worker:
    """One daemon thread running submitted calls in order."""

    def __init__(self, name: str) -> None:
        self._calls: queue.Queue[tuple[Callable[[], Any], Future] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._main, name=name, daemon=True)
        self.thread.start()

    def _main(self) -> None:
        while (item := self._calls.get()) is not None:
            fn, future = item
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn())
                except BaseException as exc:  # the caller gets it from the future
                    future.set_exception(exc)

    def submit(self, fn: Callable[[], Any]) -> Future:
        future: Future = Future()
        self._calls.put((fn, future))
        return future

    def stop(self) -> None:
        self._calls.put(None)


class ProbeLanes:
    """``lanes`` devices ready to Ping their Inbox; use as a context manager."""

    def __init__(
        self, target: Target, options: CheckOptions, lanes: int, version: str | None = None
    ) -> None:
        self.target, self.options, self.version = target, options, version
        self._workers = [_Worker(f"eas-lane-{i}") for i in range(lanes)]
        self._devices: dict[int, CheckDevice] = {}
        self._inbox: dict[int, str] = {}
        self._pinging: set[int] = set()

    def __enter__(self) -> ProbeLanes:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _setup(self, lane: int) -> None:
        device = CheckDevice(
            self.target, self.options, seed=f"eas-check-probe-{lane}", version=self.version
        )
        self._devices[lane] = device
        device.client.folder_sync()  # provisions first when the server asks (449 / 142-144)
        inbox = next((f for f in device.state.folders() if f.type == FolderType.Inbox), None)
        if inbox is None:
            raise CheckError(f"probe lane {lane}: the folder hierarchy has no Inbox")
        self._inbox[lane] = inbox.server_id

    def setup(self) -> None:
        """Provision and FolderSync every lane (in parallel); errors raise."""
        futures = [w.submit(functools.partial(self._setup, i)) for i, w in enumerate(self._workers)]
        for f in futures:
            f.result(timeout=self.options.request_timeout * 4)

    def _ping(self, lane: int, heartbeat: int) -> ProbeSample:
        client = self._devices[lane].client
        self._pinging.add(lane)
        try:
            r = client.ping(heartbeat, [self._inbox[lane]])
        except EasError as exc:
            return ProbeSample(heartbeat, PingOutcome.OTHER_STATUS, 0.0, detail=str(exc))
        finally:
            self._pinging.discard(lane)
        detail = r.error or (f"status {r.status}" if r.status is not None else "")
        return ProbeSample(heartbeat, r.outcome, r.seconds, r.server_heartbeat, detail)

    def ping(self, heartbeat: int, lane: int) -> ProbeSample:
        """One Ping on ``lane`` with ``heartbeat``; blocks until it ends (heartbeat + margin)."""
        return self._workers[lane].submit(lambda: self._ping(lane, heartbeat)).result()

    def _close_device(self, lane: int) -> None:
        device = self._devices.pop(lane, None)
        if device is not None:
            device.close()

    def close(self) -> None:
        """Close every lane's device once its current Ping (if any) has ended; wait only for
        lanes that are idle."""
        busy = set(self._pinging)
        for lane, worker in enumerate(self._workers):
            worker.submit(functools.partial(self._close_device, lane))
            worker.stop()
        for lane, worker in enumerate(self._workers):
            if lane not in busy:
                worker.thread.join(timeout=10)
