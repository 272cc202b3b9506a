"""`eas options` and `eas ping` errors that say what to do, against the mock over real HTTP."""

from __future__ import annotations

from typer.testing import CliRunner

from easclient.cli.groups import group

app = group("device")  # the device commands only


def _run(server, *args: str, tmp_path=None):
    env = {"EAS_PASSWORD": server.user.password}
    extra = ["--state", str(tmp_path / "s.sqlite3")] if tmp_path is not None else []
    return CliRunner().invoke(app, [*args, server.url, *extra], env=env)


def test_options_without_user_says_to_give_one(eas_mock_server):
    r = _run(eas_mock_server, "options")
    assert r.exit_code == 2
    assert r.stderr == (
        "eas: error: HTTP 401: authentication failed: the server wants credentials for OPTIONS "
        "too; give --user\n"
    )


def test_options_with_a_wrong_password_gets_no_hint(eas_mock_server):
    r = CliRunner().invoke(
        app, ["options", eas_mock_server.url, "-u", eas_mock_server.user.name],
        env={"EAS_PASSWORD": "wrong"},
    )  # fmt: skip
    assert r.exit_code == 2
    assert r.stderr == "eas: error: HTTP 401: authentication failed\n"


def test_ping_refuses_an_unknown_folder(eas_mock_server, tmp_path):
    user = eas_mock_server.user.name
    r = _run(eas_mock_server, "ping", "-u", user, "--heartbeat", "30", "--folder", "nope",
             tmp_path=tmp_path)  # fmt: skip
    assert r.exit_code == 2
    assert r.stderr.startswith("eas: error: --folder nope: no such folder; mail folders: ")
    assert "2 (Inbox)" in r.stderr and r.stderr.count("\n") == 1


def test_ping_names_the_status(eas_mock_server, tmp_path):
    user = eas_mock_server.user.name
    r = _run(eas_mock_server, "ping", "-u", user, "--heartbeat", "1", tmp_path=tmp_path)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("no-changes: status 1 (HeartbeatExpired), held ")


def test_ping_refuses_a_negative_margin(eas_mock_server, tmp_path):
    user = eas_mock_server.user.name
    r = _run(eas_mock_server, "ping", "-u", user, "--heartbeat", "1", "--margin", "-1",
             tmp_path=tmp_path)  # fmt: skip
    assert r.exit_code == 2
