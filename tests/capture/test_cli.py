"""`eas query decode|encode`, `eas capture show|check`, `eas replay` (CliRunner, and the real
entry point once for the one-line error)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from easclient.capture import read_capture
from easclient.cli import _load, app

from .conftest import FIXTURES, PASSWORD

SPEC_BASE64 = "jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l"  # MS-ASHTTP's example pair, at 14.0
SPEC_PLAIN = "Cmd=Sync&User=rmjones&DeviceId=v140Device&DeviceType=SmartPhone"

_load()  # the whole of eas: query (tools), capture and replay (reproduce)


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def run(runner, *args, env=None):
    return runner.invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


# -- eas query ----------------------------------------------------------------------------------
def test_query_decode_base64_spec_example(runner):
    r = run(runner, "query", "decode", f"?{SPEC_BASE64}", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert (out["form"], out["cmd"], out["device_id"], out["device_type"]) == (
        "base64",
        "Sync",
        "v140Device",
        "SmartPhone",
    )
    assert out["version"] == "14.0" and out["user"] is None and out["locale"] == "0x0409"


def test_query_decode_plain_and_a_whole_url(runner):
    url = f"https://mail.example.com/Microsoft-Server-ActiveSync?{SPEC_PLAIN}"
    r = run(runner, "query", "decode", url, "--version", "14.0", "--policy-key", "3")
    assert r.exit_code == 0, r.output
    assert "user         rmjones" in r.output and "policy_key   3" in r.output
    assert "header       X-MS-PolicyKey: 3" in r.output


def test_query_encode_gives_the_spec_example_and_reads_back(runner):
    r = run(
        runner, "query", "encode", "--cmd", "Sync", "--device-id", "v140Device",
        "--device-type", "SmartPhone", "--version", "14.0",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"?{SPEC_BASE64}"
    r = run(
        runner, "query", "encode", "--cmd", "ItemOperations", "--device-id", "d",
        "--device-type", "t", "--user", "u", "--policy-key", "4294967295",
        "--param", "AttachmentName=a/b", "--param", "AcceptMultiPart=T",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    back = json.loads(run(runner, "query", "decode", r.output.strip(), "--json").output)
    assert back["policy_key"] == 4294967295 and back["user"] == "u"
    assert back["params"] == {"AttachmentName": "a/b", "AcceptMultiPart": "T"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["decode", "?zzzz"], "not an EAS query"),
        (["decode", SPEC_PLAIN], "MS-ASProtocolVersion"),
        (["encode", "--cmd", "Nope", "--device-id", "d", "--device-type", "t"], "Nope"),
        (["encode", "--cmd", "Sync", "--device-id", "d", "--device-type", "t", "--version",
          "12.0"], "12.1"),
        (["encode", "--cmd", "Sync", "--device-id", "d", "--device-type", "t", "--param", "X"],
         "K=V"),
        (["encode", "--cmd", "Sync", "--device-id", "d", "--device-type", "t", "--plain"],
         "--user"),
    ],
)  # fmt: skip
def test_query_errors_are_one_line(runner, args, message):
    r = run(runner, "query", *args)
    assert r.exit_code == 2
    assert message in r.output and "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


# -- eas capture --------------------------------------------------------------------------------
def test_capture_show_prints_decoded_queries_and_bodies(runner):
    r = run(runner, "capture", "show", str(FIXTURES / "iphone.jsonl"))
    assert r.exit_code == 0, r.output
    assert "device_type=iPhone" in r.output and "user_agent=Apple-iPhone15C2" in r.output
    assert "#1  OPTIONS  200" in r.output and "MS-ASProtocolVersions" in r.output
    assert "?Cmd=Provision&User=alice&DeviceId=" in r.output  # the base64 query, decoded
    assert "<PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>" in r.output
    assert "200 Ping Status 1" in r.output


def test_capture_show_filters_commands_and_bodies(runner):
    r = run(runner, "capture", "show", str(FIXTURES / "outlook.jsonl"), "--command", "ping",
            "--no-bodies")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Ping" in r.output and "FolderSync" not in r.output and "<Ping" not in r.output


def test_capture_show_bad_file_is_one_line_with_the_line_number(runner, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = (FIXTURES / "android.jsonl").read_text().splitlines()
    bad.write_text("\n".join([lines[0], lines[1][:-5]]) + "\n")
    r = run(runner, "capture", "show", str(bad))
    assert r.exit_code == 2
    assert r.output.startswith(f"eas: error: {bad}:2: not JSON")


def test_capture_check(runner, tmp_path):
    env = {"FIXTURE_PW": PASSWORD}
    good = run(runner, "capture", "check", str(FIXTURES / "android.jsonl"), "--secret-env",
               "FIXTURE_PW", env=env)  # fmt: skip
    assert good.exit_code == 0 and "no secrets found" in good.output
    leaky = tmp_path / "leaky.jsonl"
    leaky.write_text((FIXTURES / "android.jsonl").read_text().replace("[redacted]", "abc"))
    bad = run(runner, "capture", "check", str(leaky), "--secret-env", "FIXTURE_PW", env=env)
    assert bad.exit_code == 1 and "Authorization is not redacted" in bad.output
    unset = run(runner, "capture", "check", str(leaky), "--secret-env", "NOT_SET_ANYWHERE")
    assert unset.exit_code == 2 and "NOT_SET_ANYWHERE" in unset.output


# -- eas replay ---------------------------------------------------------------------------------
def test_replay_json_same_server_exits_0_and_captures_redacted(runner, mock_server, tmp_path):
    server = mock_server()
    out = tmp_path / "replayed.jsonl"
    r = run(runner, "replay", str(FIXTURES / "android-ics.jsonl"), server.url, "--json",
            "--capture", str(out), "--margin", "5", env={"EAS_PASSWORD": PASSWORD})  # fmt: skip
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["differing_steps"] == 0 and len(report["steps"]) == 18
    assert report["device"]["device_type"] == "Android"
    # the replay went out as the captured device and was itself captured, redacted
    replayed = read_capture(out)
    original = read_capture(FIXTURES / "android-ics.jsonl")
    assert replayed.device["device_id"] == original.device["device_id"]
    assert [e.request_headers.get("User-Agent") for e in replayed] == [
        e.request_headers.get("User-Agent") for e in original
    ]
    assert [e.request_query() and e.request_query().version for e in replayed] == [
        e.request_query() and e.request_query().version for e in original
    ]
    assert PASSWORD not in out.read_text()


def test_replay_table_against_another_personality_exits_1(runner, mock_server):
    server = mock_server(personality="exchange", heartbeat_min=None)
    r = run(runner, "replay", str(FIXTURES / "iphone.jsonl"), server.url, "--password-env",
            "PW", env={"PW": PASSWORD})  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "Ping/Status: 1 → 5" in r.stdout and "Ping/HeartbeatInterval: - → 60" in r.stdout
    assert "17 steps, 1 with differences" in r.stdout


def test_replay_without_a_password_is_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "easclient.cli", "replay", str(FIXTURES / "iphone.jsonl"),
         "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=60, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "eas: error: no password: set EAS_PASSWORD, use --password-env VAR, or run on a terminal"
    ]


def test_replay_bootstrap_flag(runner, mock_server, tmp_path):
    lines = (FIXTURES / "outlook.jsonl").read_text().splitlines()
    mid = tmp_path / "mid.jsonl"
    mid.write_text("\n".join(lines[-3:]) + "\n")  # the last two Syncs and the Ping
    server = mock_server()
    r = run(runner, "replay", str(mid), server.url, "--bootstrap", "--json",
            env={"EAS_PASSWORD": PASSWORD})  # fmt: skip
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["differing_steps"] == 0 and report["bootstrap"]
