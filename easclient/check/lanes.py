"""Parallel probe lanes: one device per lane, each living in its own thread.

Each lane is a separate device (its own DeviceId), because a server ends a device's parked Ping
when the same device sends another: parallel Pings must come from different devices. A lane's
device is made, used and closed in that lane's single worker thread (its SQLite state belongs
to the thread that opened it).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from easclient.client import PingOutcome
from easclient.errors import EasError

from .context import CheckOptions
from .device import CheckDevice
from .probe import ProbeSample
from .target import CheckError, Target

INBOX = 2


class ProbeLanes:
    """``lanes`` devices ready to Ping their Inbox; use as a context manager."""

    def __init__(
        self, target: Target, options: CheckOptions, lanes: int, version: str | None = None
    ) -> None:
        self.target, self.options, self.version = target, options, version
        self._workers = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"eas-lane{i}")
            for i in range(lanes)
        ]
        self._devices: dict[int, CheckDevice] = {}
        self._inbox: dict[int, str] = {}

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
        inbox = next((f for f in device.state.folders() if f.type == INBOX), None)
        if inbox is None:
            raise CheckError(f"probe lane {lane}: the folder hierarchy has no Inbox")
        self._inbox[lane] = inbox.server_id

    def setup(self) -> None:
        """Provision and FolderSync every lane (in parallel); errors raise."""
        futures = [w.submit(self._setup, i) for i, w in enumerate(self._workers)]
        for f in futures:
            f.result()

    def _ping(self, lane: int, heartbeat: int) -> ProbeSample:
        client = self._devices[lane].client
        try:
            r = client.ping(heartbeat, [self._inbox[lane]])
        except EasError as exc:
            return ProbeSample(heartbeat, PingOutcome.OTHER_STATUS, 0.0, detail=str(exc))
        detail = r.error or (f"status {r.status}" if r.status is not None else "")
        return ProbeSample(heartbeat, r.outcome, r.seconds, r.server_heartbeat, detail)

    def ping(self, heartbeat: int, lane: int) -> ProbeSample:
        """One Ping on ``lane`` with ``heartbeat``; blocks until it ends (heartbeat + margin)."""
        return self._workers[lane].submit(self._ping, lane, heartbeat).result()

    def close(self) -> None:
        for lane, worker in enumerate(self._workers):
            device = self._devices.pop(lane, None)
            if device is not None:
                worker.submit(device.close).result()
            worker.shutdown(wait=True)
