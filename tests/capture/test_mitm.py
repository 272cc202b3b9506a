"""The mitmproxy addon, run by mitmproxy itself: its own test helpers (tflow/taddons) in the
mitmproxy interpreter, and mitmdump on 127.0.0.1 with our client going through it to the mock.

mitmproxy 12 needs Python 3.12+ and cannot share this 3.11 venv (see pyproject's ``mitm``
extra); scripts/install-mitm makes .venv-mitm, where these tests find mitmdump."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from easclient.capture import find_leaks, read_capture
from easclient.capture.fixtures import record_session

from .conftest import PASSWORD, find_mitmdump

MITMDUMP = find_mitmdump()
pytestmark = pytest.mark.skipif(
    MITMDUMP is None,
    reason="mitmproxy is not installed (run scripts/install-mitm: it needs Python 3.12+)",
)
HERE = Path(__file__).resolve().parent
ADDON = HERE.parents[1] / "easclient" / "capture" / "mitm.py"


def test_content_view_and_capture_with_mitmproxy_test_helpers(tmp_path):
    python = Path(MITMDUMP).with_name("python")
    capture = tmp_path / "helpers.jsonl"
    run = subprocess.run(
        [str(python), str(HERE / "mitm_helpers_run.py"), str(capture)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    # every code page: our view is chosen, shows the decoded query, and re-encodes losslessly
    assert len(out["pages"]) >= 25
    assert {
        ns: r
        for ns, r in out["pages"].items()
        if r != {"view": "EAS", "round_trip": True, "has_query": True}
    } == {}
    assert out["response_view"] == "EAS" and "<Status>1</Status>" in out["response_text"]
    assert out["other_view"] != "EAS"  # non-EAS bodies are left to mitmproxy's views
    assert out["logged"] and out["logged"][0].startswith("EAS Sync")
    assert "DeviceId=v140Device" in out["logged"][0]
    # the capture: the EAS flow and the failed one, not the non-EAS flow; nothing secret
    cap = read_capture(capture)
    assert [(ex.command, ex.status) for ex in cap] == [("Sync", 200), ("Sync", None)]
    assert cap.exchanges[0].request_headers["authorization"] == "Basic [redacted]"
    assert cap.exchanges[0].response_headers["set-cookie"] == "[redacted]"
    assert cap.exchanges[0].request_element().find("HeartbeatInterval").text == "480"
    assert cap.exchanges[1].error
    assert find_leaks(capture, ["s3cret-Pw!"], user="rmjones") == []
    assert "s3cret" not in capture.read_text()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_mitmdump_between_our_client_and_the_mock(tmp_path, mock_server):
    server = mock_server()
    port = _free_port()
    capture = tmp_path / "through-mitm.jsonl"
    out = (tmp_path / "mitmdump.out").open("w")
    proc = subprocess.Popen(
        [
            MITMDUMP,
            "--listen-host", "127.0.0.1",
            "--listen-port", str(port),
            "--set", f"confdir={tmp_path / 'mitm-conf'}",
            "--set", f"eas_capture={capture}",
            "--flow-detail", "3",
            "-s", str(ADDON),
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "mitmdump.out").read_text()
                assert time.monotonic() < deadline, "mitmdump did not start listening"
                time.sleep(0.1)
        direct = tmp_path / "client.jsonl"
        record_session(
            server.url,
            direct,
            profile="windows-mobile",
            user="alice",
            password=PASSWORD,
            device_seed="mitm",
            heartbeat=1,
            http_transport=httpx.HTTPTransport(proxy=f"http://127.0.0.1:{port}"),
        )
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        out.close()
    shown = (tmp_path / "mitmdump.out").read_text()
    # mitmdump shows the bodies decoded by our view, and the base64 queries decoded
    assert '<Sync xmlns="AirSync:"' in shown and "<FolderSync" in shown
    assert "EAS Provision" in shown and "(base64 query)" in shown and "DeviceType=PocketPC" in shown
    # the proxy's capture is the same conversation as the client's own, and as redacted
    proxied, own = read_capture(capture), read_capture(direct)
    assert [(e.command, e.status) for e in proxied] == [(e.command, e.status) for e in own]
    assert [e.request_element() for e in proxied] == [e.request_element() for e in own]
    assert proxied.device["device_type"] == "PocketPC"
    basic = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    text = capture.read_text()
    assert PASSWORD not in text and basic not in text
    assert find_leaks(capture, [PASSWORD], user="alice") == []
