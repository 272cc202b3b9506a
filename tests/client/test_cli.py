"""`eas options`, `eas sync`, `eas ping` against the fake server over real HTTP on 127.0.0.1."""

import base64
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from easclient.cli.groups import group

from .fake_server import FakeServer, serve

PASSWORD = "hunter2-Secret"


app = group("device")  # the device commands only


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args, env=None):
    env = {"EAS_PASSWORD": PASSWORD, **(env or {})}
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def test_options_json_lists_versions_commands_and_the_chosen_version(runner):
    server = FakeServer(versions=("2.5", "12.0", "12.1", "14.0"))
    with serve(server) as url:
        r = run(runner, "options", url, "--json", "--profile", "iphone")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["versions"] == ["2.5", "12.0", "12.1", "14.0"]
    assert data["chosen_version"] == "14.0"
    assert "Sync" in data["commands"]


def test_sync_json_then_changes_since_last_run(runner, tmp_path):
    server = FakeServer(items_per_folder=7, users={"alice": PASSWORD})
    state = tmp_path / "s.sqlite3"
    args = ["sync", "--user", "alice", "--state", str(state), "--profile", "android"]
    with serve(server) as url:
        r = run(runner, *args[:1], url, *args[1:], "--json")
        assert r.exit_code == 0, r.output
        first = json.loads(r.stdout)
        assert first["folders"]["5"]["added"] == 7 and first["folders"]["5"]["total"] == 7
        assert first["protocol_version"] == "14.1"
        server.add_mail("5")
        del server.mail["6"][sorted(server.mail["6"])[0]]
        r = run(runner, "sync", url, *args[1:], "--json")
        second = json.loads(r.stdout)
        assert (second["folders"]["5"]["added"], second["folders"]["5"]["total"]) == (1, 8)
        assert (second["folders"]["6"]["deleted"], second["folders"]["6"]["total"]) == (1, 6)
        r = run(runner, "sync", url, *args[1:])
        assert r.exit_code == 0
        assert "nothing changed since the last run" in r.stdout


def test_sync_at_an_endpoint_path_named_in_the_url(runner, tmp_path):
    """SOGo's endpoint is /SOGo/Microsoft-Server-ActiveSync: the URL names it, every request
    goes there; the bare host (standard path, which this server lacks) is a clear 404."""
    path = "/SOGo/Microsoft-Server-ActiveSync"
    server = FakeServer(items_per_folder=3, users={"alice": PASSWORD}, path=path)
    state = str(tmp_path / "s.sqlite3")
    with serve(server) as url:
        r = run(runner, "sync", url + path, "--user", "alice", "--state", state, "--json")
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["folders"]["5"]["total"] == 3
        assert {t.split("?")[0] for _, t, _, _ in server.requests} == {path}
        r = run(runner, "ping", url + path + "/", "-u", "alice", "--state", state,
                "--heartbeat", "1", "--json")  # fmt: skip
        assert json.loads(r.stdout)["outcome"] == "no-changes"
        r = run(runner, "options", url, "--json")
        assert r.exit_code != 0 and "404" in r.stderr
    r = run(runner, "sync", "http://127.0.0.1:9/eas?x=1", "--user", "a")
    assert r.exit_code != 0 and "query or fragment" in r.stderr and "eas?x=1" in r.stderr


def test_password_from_named_variable_and_missing(runner, tmp_path):
    server = FakeServer(items_per_folder=1, users={"alice": PASSWORD})
    with serve(server) as url:
        r = runner.invoke(
            app,
            [
                "sync",
                url,
                "--user",
                "alice",
                "--state",
                str(tmp_path / "a"),
                "--password-env",
                "PW",
            ],
            env={"PW": PASSWORD, "EAS_PASSWORD": "wrong"},
        )
        assert r.exit_code == 0, r.output
        r = runner.invoke(
            app,
            [
                "sync",
                url,
                "--user",
                "alice",
                "--state",
                str(tmp_path / "b"),
                "--password-env",
                "NOPE",
            ],
            env={"EAS_PASSWORD": PASSWORD},
        )
        assert r.exit_code != 0
        assert r.stderr.strip() == "eas: error: --password-env NOPE: that variable is not set"
        r = runner.invoke(
            app,
            ["sync", url, "--user", "alice", "--state", str(tmp_path / "c")],
            env={"EAS_PASSWORD": "wrong"},
        )
        assert r.exit_code != 0
        assert "401" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_errors_are_one_line(runner, tmp_path):
    r = run(runner, "sync", "ftp://x", "--user", "a", "--state", str(tmp_path / "s"))
    assert r.exit_code != 0 and r.stderr.startswith("eas: error:")
    assert len(r.stderr.strip().splitlines()) == 1
    r = run(runner, "sync", "http://127.0.0.1:9", "--user", "a", "--profile", "nokia")
    assert "unknown device profile 'nokia'" in r.stderr
    r = run(runner, "sync", "http://127.0.0.1:1", "--user", "a", "--state", str(tmp_path / "s"))
    assert r.exit_code != 0 and "cannot connect" in r.stderr
    r = run(runner, "sync", "http://127.0.0.1:99999", "--user", "a")
    assert r.exit_code != 0 and "port out of range in 'http://127.0.0.1:99999'" in r.stderr
    for bad in ("0", "-5"):
        r = run(runner, "sync", "http://127.0.0.1:1", "--user", "a", "--tcp-keepalive", bad)
        assert r.exit_code != 0 and f"at least 1 s, got {bad}" in r.stderr
    (tmp_path / "file").write_text("")
    r = run(runner, "sync", "http://127.0.0.1:1", "-u", "a", "--state", str(tmp_path / "file/s"))
    assert r.exit_code != 0 and "cannot open state file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_insecure_is_loud(runner, tmp_path):
    server = FakeServer(items_per_folder=1)
    with serve(server) as url:
        r = run(runner, "sync", url, "--user", "a", "--state", str(tmp_path / "s"), "--insecure")
    assert r.exit_code == 0
    assert "WARNING: --insecure" in r.stderr


def test_ping_json_and_folders(runner, tmp_path):
    server = FakeServer(items_per_folder=2)
    state = str(tmp_path / "s")
    with serve(server) as url:
        assert run(runner, "sync", url, "--user", "a", "--state", state).exit_code == 0
        r = run(runner, "ping", url, "--user", "a", "--state", state, "--heartbeat", "60", "--json")
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert (data["outcome"], data["status"], data["heartbeat"]) == ("no-changes", 1, 60)
        server.add_mail("5")
        r = run(
            runner,
            "ping",
            url,
            "--user",
            "a",
            "--state",
            state,
            "--heartbeat",
            "60",
            "--folder",
            "5",
            "--json",
        )
        data = json.loads(r.stdout)
        assert (data["outcome"], data["folders"]) == ("changes", ["5"])
        assert data["seconds"] >= 0


def test_capture_file_has_no_password(runner, tmp_path):
    server = FakeServer(items_per_folder=3, users={"alice": PASSWORD})
    cap = tmp_path / "cap.jsonl"
    with serve(server) as url:
        r = run(
            runner,
            "sync",
            url,
            "--user",
            "alice",
            "--state",
            str(tmp_path / "s"),
            "--capture",
            str(cap),
        )
    assert r.exit_code == 0, r.output
    text = cap.read_text()
    assert PASSWORD not in text
    assert base64.b64encode(f"alice:{PASSWORD}".encode()).decode() not in text
    assert len(text.splitlines()) >= 5


def test_console_script_runs_and_fails_cleanly(tmp_path):
    env = {**os.environ, "EAS_PASSWORD": "x"}
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "easclient.cli",
            "ping",
            "http://127.0.0.1:1",
            "--user",
            "u",
            "--heartbeat",
            "0",
            "--state",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert p.returncode != 0
    assert p.stderr.strip() == "eas: error: --heartbeat must be positive, got 0"


@pytest.mark.eas_mock(tls=True)
def test_sync_over_tls_needs_the_ca_file(runner, eas_mock_server, tmp_path):
    u = eas_mock_server.user
    base = ["sync", eas_mock_server.url, "--user", u.name, "--state", str(tmp_path / "s")]
    r = runner.invoke(app, base, env={"EAS_PASSWORD": u.password})
    assert r.exit_code != 0
    assert "TLS failed" in r.stderr and "--ca-file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(
        app,
        [*base, "--ca-file", eas_mock_server.ca_file, "--json"],
        env={"EAS_PASSWORD": u.password},
    )
    assert r.exit_code == 0, r.output
    inbox = next(f for f in json.loads(r.stdout)["folders"].values() if f["name"] == "Inbox")
    assert inbox["total"] == 10
