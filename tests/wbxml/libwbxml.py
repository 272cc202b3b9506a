"""Debian's libwbxml (``libwbxml2-1``, ``libwbxml2-utils``) as a reference codec, for the
cross-check tests and ``benchmarks/codec.py``.

In-process through ctypes on ``libwbxml2.so.1`` (its ``wbxml_conv_*_withlen`` API, declared in
``wbxml/wbxml_conv.h``), and through the command-line tools with the flags the cross-check needs:
``xml2wbxml -a -n -k -v 1.3`` (anonymous public id, no string table, keep whitespace, WBXML 1.3)
and ``wbxml2xml -l ACTIVESYNC -m 0 -k`` (ActiveSync tables, compact XML, keep whitespace).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import subprocess
import tempfile
from pathlib import Path

#: WBXMLLanguage WBXML_LANG_ACTIVESYNC (wbxml_conv.h; 2401 is the older AirSync table).
LANG_ACTIVESYNC = 2402
WBXML_VERSION_13 = 0x03
GEN_XML_COMPACT = 0
CHARSET_UTF_8 = 106


class _GenXMLParams(ctypes.Structure):
    # struct WBXMLGenXMLParams_s (wbxml_conv.h); enums are ints, WB_UTINY/WB_BOOL unsigned char
    _fields_ = [
        ("gen_type", ctypes.c_int),
        ("lang", ctypes.c_int),
        ("charset", ctypes.c_int),
        ("indent", ctypes.c_ubyte),
        ("keep_ignorable_ws", ctypes.c_ubyte),
    ]


class _GenWBXMLParams(ctypes.Structure):
    # struct WBXMLGenWBXMLParams_s
    _fields_ = [
        ("wbxml_version", ctypes.c_int),
        ("keep_ignorable_ws", ctypes.c_ubyte),
        ("use_strtbl", ctypes.c_ubyte),
        ("produce_anonymous", ctypes.c_ubyte),
    ]


class LibwbxmlError(Exception):
    pass


class Libwbxml:
    """The two whole-document conversions of libwbxml, in process."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        out = (ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_uint))
        lib.wbxml_conv_wbxml2xml_withlen.argtypes = [
            ctypes.c_char_p,
            ctypes.c_uint,
            *out,
            ctypes.POINTER(_GenXMLParams),
        ]
        lib.wbxml_conv_wbxml2xml_withlen.restype = ctypes.c_int
        lib.wbxml_conv_xml2wbxml_withlen.argtypes = [
            ctypes.c_char_p,
            ctypes.c_uint,
            *out,
            ctypes.POINTER(_GenWBXMLParams),
        ]
        lib.wbxml_conv_xml2wbxml_withlen.restype = ctypes.c_int
        lib.wbxml_errors_string.argtypes = [ctypes.c_int]
        lib.wbxml_errors_string.restype = ctypes.c_char_p
        lib.wbxml_free.argtypes = [ctypes.c_void_p]
        lib.wbxml_free.restype = None
        self._xml_params = _GenXMLParams(GEN_XML_COMPACT, LANG_ACTIVESYNC, CHARSET_UTF_8, 0, 1)
        self._wbxml_params = _GenWBXMLParams(WBXML_VERSION_13, 1, 0, 1)

    def _call(self, fn, data: bytes, params) -> bytes:
        ptr = ctypes.c_void_p()
        length = ctypes.c_uint()
        rc = fn(data, len(data), ctypes.byref(ptr), ctypes.byref(length), ctypes.byref(params))
        if rc != 0:
            raise LibwbxmlError(self.lib.wbxml_errors_string(rc).decode())
        try:
            return ctypes.string_at(ptr, length.value)
        finally:
            self.lib.wbxml_free(ptr)

    def wbxml_to_xml(self, wbxml: bytes) -> bytes:
        """WBXML -> compact XML, ActiveSync tables, whitespace kept (like ``wbxml2xml -m 0 -k``)."""
        return self._call(self.lib.wbxml_conv_wbxml2xml_withlen, wbxml, self._xml_params)

    def xml_to_wbxml(self, xml: bytes) -> bytes:
        """XML -> WBXML 1.3, anonymous, no string table, whitespace kept (``-a -n -k -v 1.3``)."""
        return self._call(self.lib.wbxml_conv_xml2wbxml_withlen, xml, self._wbxml_params)


def load() -> Libwbxml | None:
    """libwbxml in process, or ``None`` when ``libwbxml2.so.1`` is not installed."""
    for name in ("libwbxml2.so.1", ctypes.util.find_library("wbxml2")):
        if not name:
            continue
        try:
            return Libwbxml(ctypes.CDLL(name))
        except OSError:
            continue
    return None


def tools_available() -> bool:
    return shutil.which("xml2wbxml") is not None and shutil.which("wbxml2xml") is not None


def xml2wbxml(xml: bytes) -> bytes:
    """Run ``xml2wbxml -a -n -k -v 1.3`` on ``xml``."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.xml"), Path(tmp, "out.wbxml")
        src.write_bytes(xml)
        _run(["xml2wbxml", "-a", "-n", "-k", "-v", "1.3", "-o", str(dst), str(src)])
        return dst.read_bytes()


def wbxml2xml(wbxml: bytes) -> bytes:
    """Run ``wbxml2xml -l ACTIVESYNC -m 0 -k`` on ``wbxml``."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.wbxml"), Path(tmp, "out.xml")
        src.write_bytes(wbxml)
        _run(["wbxml2xml", "-l", "ACTIVESYNC", "-m", "0", "-k", "-o", str(dst), str(src)])
        return dst.read_bytes()


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    # The tools print "... succeeded" or "... failed" and do not always set the exit status.
    if proc.returncode != 0 or b"failed" in proc.stdout + proc.stderr:
        raise LibwbxmlError((proc.stdout + proc.stderr).decode(errors="replace").strip())
