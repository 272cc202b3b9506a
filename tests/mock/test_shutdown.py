"""Stopping the mock: a parked Ping is never told its heartbeat ran out when it did not."""

from __future__ import annotations

import signal
import threading
import time

import httpx

from easclient.mock import spawn
from easclient.protocol.ping import PingFolder, PingRequest

from .helpers import ready_device


def test_sigterm_answers_a_parked_ping_503_not_status_1():
    server = spawn(["--users", "alice:alice-pw", "--heartbeat-min", "1"])
    try:
        handle = server.handle
        dev = ready_device(handle)
        dev.sync_all()
        body = PingRequest(30, (PingFolder("2", "Email"),)).to_element("14.1")
        result: dict = {}

        def run() -> None:
            try:
                result["resp"] = dev.post("Ping", body)
            except httpx.HTTPError as e:
                result["error"] = e
            result["at"] = time.monotonic()

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 10
        while handle.control.stats()["parked_pings"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert handle.control.stats()["parked_pings"] == 1
        time.sleep(1)  # well into the 30 s heartbeat
        handle.stop()  # closes the control client before the server goes
        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        thread.join(15)
        assert not thread.is_alive()
        assert result["at"] - signalled < 5  # answered at shutdown, not after the heartbeat
        resp = result.get("resp")
        assert resp is not None, result.get("error")
        # Status 1 would tell the client a full, healthy 30 s heartbeat happened.
        assert resp.status_code == 503
        assert int(resp.headers["Retry-After"]) > 0
        assert server.process.wait(15) == 0
    finally:
        server.stop()
