"""`eas query`: --protocol works as elsewhere, and the errors say what to give."""

from __future__ import annotations

from typer.testing import CliRunner

from easclient.cli.groups import group

app = group("tools")  # the tools commands only

PLAIN = "Cmd=Sync&User=a&DeviceId=b&DeviceType=c"


def _run(*args: str):
    return CliRunner().invoke(app, ["query", *args])


def test_plain_query_without_a_version_says_to_give_one():
    r = _run("decode", PLAIN)
    assert r.exit_code == 2
    assert r.stderr.rstrip().endswith("needs the MS-ASProtocolVersion header; give --version")


def test_protocol_is_accepted_for_the_version():
    r = _run("decode", PLAIN, "--protocol", "14.1", "--json")
    assert r.exit_code == 0, r.output
    assert '"version": "14.1"' in r.stdout
    assert _run("encode", "--cmd", "Sync", "--device-id", "d", "--device-type", "t",
                "--protocol", "12.1", "-u", "bob").stdout == _run(
        "encode", "--cmd", "Sync", "--device-id", "d", "--device-type", "t",
        "--version", "12.1", "--user", "bob").stdout  # fmt: skip


def test_empty_device_id_is_refused():
    r = _run("encode", "--cmd", "Sync", "--device-id", " ", "--device-type", "t")
    assert r.exit_code == 2
    assert r.stderr.startswith("eas: error: --device-id must not be empty")
