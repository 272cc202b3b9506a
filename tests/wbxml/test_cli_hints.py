"""`eas wbxml`: errors that say what to do instead — XML given to decode, --strict without a
version, an unknown version listed readably."""

from __future__ import annotations

from typer.testing import CliRunner

from easclient.cli.groups import group
from easclient.wbxml import to_xml

from .test_golden import SYNC_RESPONSE

app = group("tools")  # the tools commands only


def _run(*args: str):
    return CliRunner().invoke(app, ["wbxml", *args])


def _xml_file(tmp_path):
    path = tmp_path / "sync.xml"
    path.write_text(to_xml(SYNC_RESPONSE))
    return path


def test_decoding_xml_points_to_encode(tmp_path):
    r = _run("decode", str(_xml_file(tmp_path)))
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1
    assert r.stderr.rstrip().endswith("it looks like XML: eas wbxml encode")


def test_strict_without_a_protocol_is_refused(tmp_path):
    r = _run("encode", str(_xml_file(tmp_path)), "-o", str(tmp_path / "o.wbxml"), "--strict")
    assert r.exit_code == 2
    assert (
        r.stderr
        == "eas: error: --strict needs --protocol VERSION (the version whose tags to allow)\n"
    )
    assert not (tmp_path / "o.wbxml").exists()


def test_unknown_protocol_lists_the_versions(tmp_path):
    r = _run("encode", str(_xml_file(tmp_path)), "-o", "-", "--protocol", "9", "--strict")
    assert r.exit_code == 2
    assert (
        "unknown protocol version '9' (known: 2.5, 12.0, 12.1, 14.0, 14.1, 16.0, 16.1)" in r.stderr
    )
