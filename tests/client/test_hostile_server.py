"""Issue 11, the client's side: a hostile server (a real asyncio server on 127.0.0.1) cannot
hold `eas sync`, `eas ping` or `eas check` past their deadline, grow them past a memory bound,
or pass an answer the spec forbids as success; every fault is one line.

The CLI runs as a subprocess (`python -m easclient.cli`) so its peak RSS can be read from
/proc; the bound is stated against a baseline measured in the same run (the same command
against a well-behaved server).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from easclient.cli.groups import group

from .fake_server import FakeServer
from .hostile_server import Behaviour, HostileServer

PASSWORD = "hunter2-Secret"
#: The configured bounds the commands run with here (small, so the test is quick).
LIMITS = ["--max-response-size", "1M", "--deadline", "2", "--max-wait", "1"]
#: Seconds a command may take: the 2 s deadline, one read capped at it, and start-up on a
#: loaded machine (an unbounded client runs until the server's own 40 s cap instead).
WALL = 15.0
#: Peak RSS a hostile answer may add to that of the same command against a good server: the
#: 1 MiB limit, its copy when joined, and slack for allocator noise.
RSS_SLACK = 40 * 1024 * 1024

# What each behaviour is sent to, and what the one line says.
SYNC_CASES = {
    Behaviour.ENDLESS_CHUNKED: ({"Sync"}, "beyond the 1 MiB limit (raise it with"),
    Behaviour.HUGE_LENGTH: ({"Sync"}, "answer of 2 GiB (Content-Length) is beyond the 1 MiB"),
    Behaviour.TRICKLE: ({"Sync"}, "not complete within the 2 s deadline (raise it with"),
    Behaviour.EMPTY_200: ({"Sync"}, "SyncKey 0: the answer has no Collection"),
    Behaviour.EMPTY_SYNC: ({"Sync"}, "SyncKey 0: the answer has no Collection"),
    Behaviour.JUNK_GZIP: ({"Sync"}, "does not decode as its Content-Encoding says"),
    Behaviour.THROTTLE: ({"Sync"}, "1 s wait limit (raise it with --max-wait)"),
    Behaviour.HUGE_POLICY_KEY: ({"Provision"}, "Provision:PolicyKey must be an integer"),
}


def _peak_rss(pid: int) -> int:
    """VmHWM of ``pid`` in bytes (0 once it has exited)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def run_eas(*args: str, timeout: float = 60.0) -> tuple[int, str, str, float, int]:
    """`eas ARGS` as a subprocess: exit code, stdout, stderr, seconds, peak RSS (bytes)."""
    env = {**os.environ, "EAS_PASSWORD": PASSWORD}
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "easclient.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    peak = 0
    deadline = started + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        peak = max(peak, _peak_rss(proc.pid))
        time.sleep(0.02)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err, time.monotonic() - started, peak


@pytest.fixture(scope="module")
def baseline_rss(tmp_path_factory) -> int:
    """Peak RSS of `eas sync` against a well-behaved server: what a hostile one is held to."""
    state = tmp_path_factory.mktemp("baseline") / "s.sqlite3"
    with HostileServer(FakeServer(items_per_folder=3), None).run() as url:
        code, _out, err, _secs, peak = run_eas(
            "sync", url, "--user", "alice", "--state", str(state), *LIMITS
        )
    assert code == 0, err
    assert peak > 0
    return peak


def _one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[-2000:]
    assert lines[0].startswith("eas: error: ")
    assert len(lines[0]) < 400  # quoted values are excerpts, not 100 KB
    return lines[0]


@pytest.mark.parametrize("behaviour", list(SYNC_CASES), ids=str)
def test_eas_sync_against_a_hostile_server(behaviour, baseline_rss, tmp_path) -> None:
    commands, words = SYNC_CASES[behaviour]
    server = HostileServer(FakeServer(items_per_folder=3), behaviour, commands)
    state = tmp_path / "s.sqlite3"
    with server.run() as url:
        code, out, err, secs, peak = run_eas(
            "sync", url, "--user", "alice", "--state", str(state), *LIMITS
        )
    assert code != 0 and out == ""
    assert words in _one_line_error(err)
    assert secs < WALL
    assert peak < baseline_rss + RSS_SLACK, (peak, baseline_rss)
    assert server.hostile_requests >= 1


# Ping: heartbeat 1 + margin 1 is its deadline. An answer bounded like a Sync's (too large,
# junk, throttled) is an error line; an answer that is late or carries no status is what
# `eas ping` reports as the Ping's outcome (one line, exit 1), as it always has.
PING_CASES = {
    Behaviour.ENDLESS_CHUNKED: ("err", "Ping answer still arriving after"),
    Behaviour.HUGE_LENGTH: ("err", "Ping answer of 2 GiB (Content-Length) is beyond the 1 MiB"),
    Behaviour.TRICKLE: ("out", "blackhole: status None"),
    Behaviour.EMPTY_200: ("out", "empty Ping answer"),
    Behaviour.EMPTY_SYNC: ("err", "Ping"),
    Behaviour.JUNK_GZIP: ("err", "does not decode as its Content-Encoding says"),
    Behaviour.THROTTLE: ("err", "1 s wait limit (raise it with --max-wait)"),
}


@pytest.mark.parametrize("behaviour", list(PING_CASES), ids=str)
def test_eas_ping_against_a_hostile_server(behaviour, baseline_rss, tmp_path) -> None:
    where, words = PING_CASES[behaviour]
    server = HostileServer(FakeServer(), behaviour, {"Ping"})
    state = tmp_path / "s.sqlite3"
    with server.run() as url:
        code, out, err, secs, peak = run_eas(
            "ping", url, "--user", "alice", "--state", str(state), "--heartbeat", "1",
            "--margin", "1", *LIMITS,
        )  # fmt: skip
    assert code != 0
    if where == "err":
        assert out == ""
        assert words in _one_line_error(err)
    else:
        assert err == ""
        assert len(out.strip().splitlines()) == 1 and words in out
    assert secs < WALL
    assert peak < baseline_rss + RSS_SLACK, (peak, baseline_rss)
    assert server.hostile_requests == 1


def test_a_100k_folder_hierarchy_is_synced_within_bounds(baseline_rss, tmp_path) -> None:
    """100,000 folders (3.7 MB of WBXML): processed under the default limit, in time and
    memory that grow with the input; refused in one line under a smaller one. (User calendars,
    type 13: the hierarchy is what is under test here, not 100,000 mail-folder Syncs.)"""
    folders = {"5": ("Inbox", 2)}
    folders.update({f"u{i}": (f"folder {i}", 13) for i in range(100_000)})
    server = HostileServer(FakeServer(folders=folders), None)
    with server.run() as url:
        code, out, err, secs, peak = run_eas(
            "sync", url, "--user", "alice", "--state", str(tmp_path / "a.sqlite3"), "--json"
        )
        assert code == 0, err
        assert json.loads(out)["folders_added"] == 100_001
        assert secs < 60
        # Element trees and rows for 100k folders: tens of MB, not the GB of a quadratic copy.
        assert peak < baseline_rss + 400 * 1024 * 1024, (peak, baseline_rss)
        code, out, err, secs, _peak = run_eas(
            "sync", url, "--user", "alice", "--state", str(tmp_path / "b.sqlite3"),
            "--max-response-size", "1M",
        )  # fmt: skip
    assert code != 0
    assert "FolderSync answer" in _one_line_error(err) and "1 MiB limit" in err


def test_a_503_back_off_is_said_as_it_starts(tmp_path) -> None:
    """Each wait is one line on stderr when it begins (not 181 s of silence); --max-wait
    ends the run once the next wait would pass it."""
    fake = FakeServer()
    fake.inject("FolderSync", status=503, headers={"Retry-After": "1"}, times=5)
    with HostileServer(fake, None).run() as url:
        code, _out, err, secs, _peak = run_eas(
            "sync", url, "--user", "alice", "--state", str(tmp_path / "s.sqlite3"),
            "--max-wait", "1.5",
        )  # fmt: skip
    lines = err.strip().splitlines()
    assert lines[0] == "eas: HTTP 503 (no reason given): waiting 1 s before retry 1 of 3"
    assert len(lines) == 2 and lines[1].startswith("eas: error: HTTP 503")
    assert "0.5 s left of the 1.5 s wait limit" in lines[1]
    assert code == 2 and 1 <= secs < WALL


# -- eas check: the step that met the hostile answer FAILs, with the finding ---------------

# The diagnose group on its own (check is in it): the package's own app is left alone.
check_app = group("diagnose")

CHECK_CASES = {
    Behaviour.ENDLESS_CHUNKED: ("Sync", "sync", "beyond the 1 MiB limit"),
    Behaviour.HUGE_LENGTH: ("Sync", "sync", "(Content-Length) is beyond the 1 MiB limit"),
    Behaviour.TRICKLE: ("Sync", "sync", "not complete within the 2 s deadline"),
    Behaviour.EMPTY_200: ("Sync", "sync", "SyncKey 0: the answer has no Collection"),
    Behaviour.EMPTY_SYNC: ("Sync", "sync", "SyncKey 0: the answer has no Collection"),
    Behaviour.JUNK_GZIP: ("Sync", "sync", "does not decode as its Content-Encoding says"),
    Behaviour.THROTTLE: ("Sync", "sync", "wait limit (raise it with --max-wait)"),
    Behaviour.HUGE_POLICY_KEY: ("Provision", "provision", "PolicyKey must be an integer"),
}


@pytest.mark.parametrize("behaviour", list(CHECK_CASES), ids=str)
def test_eas_check_fails_the_step_that_met_a_hostile_answer(behaviour) -> None:
    command, step_name, words = CHECK_CASES[behaviour]
    server = HostileServer(FakeServer(items_per_folder=3), behaviour, {command})
    with server.run() as url:
        started = time.monotonic()
        r = CliRunner().invoke(
            check_app,
            ["check", url, "--user", "alice", "--json", "--ping-heartbeat", "1", *LIMITS],
            env={"EAS_PASSWORD": PASSWORD},
            catch_exceptions=False,
        )
        secs = time.monotonic() - started
    assert r.exit_code != 0
    report = json.loads(r.stdout)
    step = next(s for s in report["steps"] if s["name"] == step_name)
    assert step["result"] == "fail", step
    assert words in step["detail"] and len(step["detail"]) < 400, step
    assert step["why"] and step["fix"]
    assert secs < WALL
