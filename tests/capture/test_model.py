"""Reading captures: the fixture files, and every kind of bad line named by file and line."""

from __future__ import annotations

import json

import pytest

from easclient import wbxml
from easclient.capture import SCHEMA_VERSION, CaptureError, parse_line, read_capture
from easclient.client.capture import CaptureWriter
from easclient.protocol import EasResponse, Headers, build_request
from easclient.wbxml import E

from .conftest import fixture_files


def _line(**changes) -> str:
    entry = {
        "schema": SCHEMA_VERSION,
        "time": "2026-01-01T12:00:00+00:00",
        "command": "Ping",
        "method": "POST",
        "url": "http://h/Microsoft-Server-ActiveSync?Cmd=Ping",
        "request_headers": {},
        "status": 200,
    }
    entry.update(changes)
    return json.dumps({k: v for k, v in entry.items() if v is not ...})


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: p.stem)
def test_fixture_files_read_whole(path):
    capture = read_capture(path)
    commands = [ex.command for ex in capture]
    assert commands[0] == "OPTIONS" and commands[-1] == "Ping"
    assert commands.count("Provision") == 2 and "FolderSync" in commands and "Sync" in commands
    assert capture.device["device_type"] and capture.device["user_agent"]
    assert capture.device["profile"] == path.stem
    for ex in capture:
        assert ex.status == 200
        if ex.method == "POST":
            q = ex.request_query()
            assert q is not None and q.device_id == capture.device["device_id"]
            # the request body as captured re-encodes to a tree equal to the XML's
            assert wbxml.decode(ex.request.raw()) == ex.request_element()


def test_writer_and_reader_agree_on_every_field(tmp_path):
    path = tmp_path / "c.jsonl"
    req = build_request(
        "Sync",
        E("AirSync:Sync", E("AirSync:Collections")),
        user="u",
        device_id="dev1",
        device_type="Phone",
        version="14.1",
        policy_key=77,
        base64_query=True,
        user_agent="UA/1",
    )
    body = wbxml.encode(E("AirSync:Sync", E("AirSync:Status", "1")))
    resp = EasResponse(200, Headers({"Content-Type": "application/vnd.ms-sync.wbxml"}), body)
    with CaptureWriter(path, device={"user": "u", "device_id": "dev1"}) as w:
        w.record(req, resp, url="http://h" + req.target, elapsed=0.25)
        w.record(req, None, url="http://h" + req.target, error=TimeoutError("gone"))
    cap = read_capture(path)
    ok, failed = cap.exchanges
    assert (ok.command, ok.method, ok.status, ok.base64_query) == ("Sync", "POST", 200, True)
    assert ok.request_query().policy_key == 77 and ok.request_query().version == "14.1"
    assert ok.response_element() == wbxml.decode(body)
    assert ok.response.raw() == body and ok.elapsed_s == 0.25
    assert ok.path == "/Microsoft-Server-ActiveSync"
    assert failed.status is None and failed.response is None
    assert failed.error == "TimeoutError: gone"
    assert cap.device["user_agent"] == "UA/1" and cap.device["version"] == "14.1"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"time": "t"}), "no schema field"),
        (_line(schema=99), "schema 99"),
        (_line(method=...), "missing field(s): method"),
        (_line(status=42), "HTTP status code"),
        (_line(request={"size": 1}), "neither xml nor base64"),
        (_line(request={"xml": "<Sync xmlns='AirSync:'>", "size": 1}), "request.xml"),
        (_line(response={"base64": "***", "size": 1}), "not base64"),
        (_line(request_headers={"A": 1}), "request_headers"),
        (_line(query_decoded={"cmd": "Sync"}), "query_decoded"),
    ],
)
def test_bad_lines_name_file_line_and_reason(tmp_path, text, reason):
    path = tmp_path / "bad.jsonl"
    path.write_text(_line() + "\n\n" + text + "\n", encoding="utf-8")
    with pytest.raises(CaptureError) as info:
        read_capture(path)
    assert info.value.line == 3  # blank lines count: the number is the file's line
    assert reason in str(info.value) and str(info.value).startswith(f"{path}:3: ")


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(CaptureError, match="no such capture file"):
        read_capture(tmp_path / "nope.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(CaptureError, match="no exchanges"):
        read_capture(tmp_path / "empty.jsonl")


def test_unknown_fields_are_kept_not_refused():
    ex = parse_line(_line(note="added by a later writer"))
    assert ex.extra == {"note": "added by a later writer"}
