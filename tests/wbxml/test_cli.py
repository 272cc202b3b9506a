"""`eas wbxml decode|encode`: files and standard streams, one-line errors, non-zero exits."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from easclient.cli.groups import group
from easclient.wbxml import decode, encode, from_xml

from .test_golden import SENDMAIL, SYNC_RESPONSE, SYNC_RESPONSE_BYTES, SYNC_RESPONSE_XML

app = group("tools")  # the tools commands only


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_decode_file_prints_xml(runner, tmp_path):
    path = tmp_path / "sync.wbxml"
    path.write_bytes(SYNC_RESPONSE_BYTES)
    r = runner.invoke(app, ["wbxml", "decode", str(path)])
    assert r.exit_code == 0, r.output
    assert from_xml(r.stdout) == SYNC_RESPONSE
    assert r.stdout.startswith('<?xml version="1.0" encoding="utf-8"?>\n<Sync xmlns="AirSync:"')
    assert r.stderr == ""


def test_decode_stdin_compact(runner):
    r = runner.invoke(app, ["wbxml", "decode", "-", "--compact"], input=SYNC_RESPONSE_BYTES)
    assert r.exit_code == 0, r.output
    assert r.stdout.count("\n") == 1  # one line, and the final newline
    assert from_xml(r.stdout) == SYNC_RESPONSE


def test_encode_file_to_file(runner, tmp_path):
    src, out = tmp_path / "sync.xml", tmp_path / "sync.wbxml"
    src.write_text(SYNC_RESPONSE_XML)
    r = runner.invoke(app, ["wbxml", "encode", str(src), "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == SYNC_RESPONSE_BYTES


def test_encode_stdin_to_stdout_is_binary(runner):
    xml = runner.invoke(app, ["wbxml", "decode", "-"], input=encode(SENDMAIL)).stdout
    r = runner.invoke(app, ["wbxml", "encode", "-", "-o", "-"], input=xml)
    assert r.exit_code == 0, r.output
    assert decode(r.stdout_bytes) == SENDMAIL


def test_encode_strict_protocol_version(runner):
    xml = '<Find xmlns="Find:"><SearchId>1</SearchId></Find>'
    r = runner.invoke(
        app, ["wbxml", "encode", "-", "-o", "-", "--protocol", "14.1", "--strict"], input=xml
    )
    assert r.exit_code == 2
    assert "not in protocol version 14.1" in r.stderr
    r = runner.invoke(
        app, ["wbxml", "encode", "-", "-o", "-", "--protocol", "16.1", "--strict"], input=xml
    )
    assert r.exit_code == 0


def test_decode_lenient_reports_on_stderr(runner):
    data = bytes.fromhex("03 01 6A 00 45 00 FE 45 01 01")
    r = runner.invoke(app, ["wbxml", "decode", "-"], input=data)
    assert r.exit_code == 2
    assert r.stderr == "eas: error: -: at byte 5: unknown code page 254\n"
    r = runner.invoke(app, ["wbxml", "decode", "-", "--lenient"], input=data)
    assert r.exit_code == 0
    assert "<page254:_0x05/>" in r.stdout
    assert r.stderr.splitlines() == [
        "eas: warning: -: at byte 5: unknown code page 254",
        "eas: warning: -: at byte 7: unknown token 0x05 on unknown code page 254",
    ]


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["decode", "-"], b"\x03\x01\x6a\x00\x45\x4b\x03ab", "at byte 6: STR_I string without"),
        (["decode", "-"], b"", "bad header"),
        (["decode", "/nonexistent/x.wbxml"], b"", "cannot read /nonexistent/x.wbxml"),
        (["encode", "-", "-o", "-"], b"<Sync xmlns='AirSync:'>", "XML line 1"),
        (["encode", "-", "-o", "-"], b"<Bogus xmlns='AirSync:'/>", "AirSync:Bogus is not a tag"),
        (
            ["encode", "-", "-o", "/nonexistent/dir/out"],
            b"<Sync xmlns='AirSync:'/>",
            "cannot write",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, args, stdin, message):
    r = runner.invoke(app, ["wbxml", *args], input=stdin)
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("eas: error: ")
    assert message in r.stderr
    assert "Traceback" not in r.output


def test_the_installed_command(tmp_path):
    src = tmp_path / "a.wbxml"
    src.write_bytes(b"\x03\x01\x6a\x00\x45\x4b\x03ab")  # truncated
    cmd = [sys.executable, "-m", "easclient.cli", "wbxml", "decode", str(src)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith("at byte 6: STR_I string without its terminating NUL")
    assert "Traceback" not in proc.stderr
    src.write_bytes(SYNC_RESPONSE_BYTES)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert from_xml(proc.stdout) == SYNC_RESPONSE
