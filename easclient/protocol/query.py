"""The request query in both forms of MS-ASHTTP 2.2.1.1.1: plain text and base64.

Plain (2.2.1.1.1.2): ``Cmd=Sync&User=u&DeviceId=d&DeviceType=t[&param=value…]`` with the protocol
version and policy key in the ``MS-ASProtocolVersion`` / ``X-MS-PolicyKey`` headers.

Base64 (2.2.1.1.1.1, 12.1+): one RFC 2045 base64 blob of
``version(1) command(1) locale(2, LE) len+DeviceId len+PolicyKey(0|4, LE) len+DeviceType``
followed by ``tag(1) len(1) value`` command parameters (2.2.1.1.1.1.3), where tag 7 "Options"
is a bitmask (0x01 SaveInSent, 0x02 AcceptMultiPart) and tag 8 is User.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote

from easclient.errors import excerpt

from .commands import Command
from .errors import QueryError, VersionError
from .versions import ProtocolVersion, base64_query_allowed

__all__ = ["PARAM_TAGS", "RequestQuery", "parse_query"]

#: Base64 command-parameter tags (MS-ASHTTP 2.2.1.1.1.1.3; 2 and 5 are the deprecated
#: CollectionName and ParentId that older servers still read).
PARAM_TAGS: dict[str, int] = {
    "AttachmentName": 0,
    "CollectionId": 1,
    "CollectionName": 2,
    "ItemId": 3,
    "LongId": 4,
    "ParentId": 5,
    "Occurrence": 6,
    "Options": 7,
    "User": 8,
}
_TAG_NAMES = {v: k for k, v in PARAM_TAGS.items()}
_OPTION_BITS = {"SaveInSent": 0x01, "AcceptMultiPart": 0x02}
_REQUIRED_PLAIN = ("Cmd", "User", "DeviceId", "DeviceType")


@dataclass
class RequestQuery:
    """What a request's query (plus, in plain form, two headers) says.

    ``params`` holds the command parameters by their plain-form names (``ItemId``,
    ``SaveInSent`` = "T"/"F", ``AcceptMultiPart`` = "T" …). ``policy_key`` is None before
    Provision. ``locale`` only travels in the base64 form.
    """

    cmd: str
    user: str
    device_id: str
    device_type: str
    params: dict[str, str] = field(default_factory=dict)
    version: str = "14.1"
    locale: int = 0x0409
    policy_key: int | None = None

    @property
    def command(self) -> Command:
        """``cmd`` as a :class:`Command` (QueryError when unknown)."""
        return Command.parse(self.cmd)

    # -- plain ---------------------------------------------------------------------------
    def to_plain(self) -> str:
        """The plain query value, without the leading "?".

        ``AcceptMultiPart`` is not a plain-form parameter (it travels as the
        MS-ASAcceptMultiPart header), so it is left out here.
        """
        pairs = [
            ("Cmd", self.cmd),
            ("User", self.user),
            ("DeviceId", self.device_id),
            ("DeviceType", self.device_type),
        ]
        pairs += [(k, v) for k, v in self.params.items() if k != "AcceptMultiPart"]
        return "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}" for k, v in pairs)

    def plain_headers(self) -> dict[str, str]:
        """The headers the plain form needs: MS-ASProtocolVersion, X-MS-PolicyKey (if any)."""
        headers = {"MS-ASProtocolVersion": str(self.version)}
        if self.policy_key is not None:
            headers["X-MS-PolicyKey"] = str(self.policy_key)
        if self.params.get("AcceptMultiPart") == "T":
            headers["MS-ASAcceptMultiPart"] = "T"
        return headers

    # -- base64 --------------------------------------------------------------------------
    def to_base64(self, *, include_user: bool = False) -> str:
        """The base64 query value (12.1+).

        ``User`` is optional in this form (the server knows the user from the credentials;
        the spec's own example leaves it out), so it is only written with ``include_user``.
        """
        try:
            version = ProtocolVersion.parse(self.version)
        except VersionError as e:
            raise QueryError(str(e), value=self.version) from None
        if not base64_query_allowed(version):
            raise QueryError(
                f"the base64 query form needs protocol 12.1 or later, not {version}",
                value=self.version,
            )
        if not 0 <= self.locale <= 0xFFFF:
            raise QueryError(f"locale {self.locale:#x} does not fit 2 bytes", value=self.locale)
        out = bytearray(struct.pack("<BBH", version.byte, self.command.code, self.locale))
        out += _counted("DeviceId", self.device_id.encode())
        if self.policy_key is None:
            out.append(0)
        else:
            if not 0 <= self.policy_key <= 0xFFFFFFFF:
                raise QueryError(f"policy key {self.policy_key} is not a uint32", value=self)
            out += struct.pack("<BI", 4, self.policy_key)
        out += _counted("DeviceType", self.device_type.encode())
        options = 0
        for name, value in self.params.items():
            if name in _OPTION_BITS:
                if value not in ("T", "F"):
                    raise QueryError(f"{name} must be T or F, not {excerpt(value)}", value=value)
                options |= _OPTION_BITS[name] if value == "T" else 0
                continue
            tag = PARAM_TAGS.get(name)
            if tag is None or name in ("Options", "User"):
                raise QueryError(f"no base64 form for the parameter {excerpt(name)}", value=name)
            out += bytes([tag]) + _counted(name, str(value).encode())
        if options:
            out += bytes([PARAM_TAGS["Options"], 1, options])
        if include_user and self.user:
            out += bytes([PARAM_TAGS["User"]]) + _counted("User", self.user.encode())
        return base64.b64encode(bytes(out)).decode("ascii")


def _counted(name: str, data: bytes) -> bytes:
    if len(data) > 255:
        raise QueryError(f"{name} is {len(data)} bytes; the base64 form allows 255", value=data)
    return bytes([len(data)]) + data


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    lower = name.lower()
    for k, v in headers.items():
        if k.lower() == lower:
            return v
    return None


def parse_query(
    qs: str, headers: Mapping[str, str] | None = None, *, default_version: str | None = None
) -> RequestQuery:
    """Read a query in either form (detected), from the value, "?value" or a whole URL.

    The plain form takes the version from the ``MS-ASProtocolVersion`` header (else
    ``default_version``; neither → QueryError) and the policy key from ``X-MS-PolicyKey``.
    """
    if "?" in qs:
        qs = qs.split("?", 1)[1]
    qs = qs.split("#", 1)[0].strip()
    if not qs:
        raise QueryError("the request has no query (Cmd, User, DeviceId, DeviceType)", value=qs)
    if is_base64_form(qs):
        return _parse_base64(qs)
    return _parse_plain(qs, headers, default_version)


def is_base64_form(qs: str) -> bool:
    """Whether a query value is the base64 form: it has "=" only as trailing padding and no
    "&", where a plain query has "name=value" pairs."""
    return not ("=" in qs.rstrip("=") or "&" in qs)


def _parse_plain(
    qs: str, headers: Mapping[str, str] | None, default_version: str | None
) -> RequestQuery:
    values: dict[str, str] = {}
    for key, value in parse_qsl(qs, keep_blank_values=True):
        if key in values:
            raise QueryError(f"the parameter {excerpt(key)} appears twice", value=qs)
        values[key] = value
    for key in _REQUIRED_PLAIN:
        if key not in values:
            raise QueryError(f"the query lacks {key} (MS-ASHTTP 2.2.1.1.1.2)", value=qs)
    version = _header(headers, "MS-ASProtocolVersion") or default_version
    if version is None:
        raise QueryError("a plain query needs the MS-ASProtocolVersion header", value=qs)
    try:
        version = ProtocolVersion.parse(version).value
    except VersionError as e:
        raise QueryError(str(e), value=version) from None
    policy_key = None
    raw_key = _header(headers, "X-MS-PolicyKey")
    if raw_key is not None and raw_key.strip():
        digits = raw_key.strip()
        # A uint32 as in the base64 form; int() alone would take "-1", "1_0" or Arabic-Indic digits.
        # At most 10 digits before int(): 5,000 digits would hit Python's int conversion limit.
        if not (
            digits.isascii()
            and digits.isdigit()
            and len(digits) <= 10
            and int(digits) <= 0xFFFFFFFF
        ):
            raise QueryError(f"X-MS-PolicyKey is not a uint32: {excerpt(raw_key)}", value=raw_key)
        policy_key = int(digits)
    params = {k: v for k, v in values.items() if k not in _REQUIRED_PLAIN}
    if (_header(headers, "MS-ASAcceptMultiPart") or "").upper() == "T":
        params["AcceptMultiPart"] = "T"
    return RequestQuery(
        cmd=values["Cmd"],
        user=values["User"],
        device_id=values["DeviceId"],
        device_type=values["DeviceType"],
        params=params,
        version=version,
        policy_key=policy_key,
    )


def _parse_base64(qs: str) -> RequestQuery:
    text = unquote(qs)  # "+", "/" and "=" may arrive percent-encoded
    text += "=" * (-len(text) % 4)  # some clients drop the padding
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise QueryError("the query is neither plain nor valid base64", value=qs) from None
    reader = _Reader(data, qs)
    version_byte, command_code = reader.byte("protocol version"), reader.byte("command code")
    try:
        version = ProtocolVersion.from_byte(version_byte)
    except VersionError:
        raise QueryError(f"unknown protocol version byte {version_byte}", value=qs) from None
    if not base64_query_allowed(version):
        raise QueryError(f"a base64 query is not allowed at protocol {version}", value=qs)
    command = Command.from_code(command_code)
    locale = reader.byte("locale") | reader.byte("locale") << 8
    device_id = reader.text("DeviceId")
    key_bytes = reader.counted("policy key")
    if len(key_bytes) not in (0, 4):
        raise QueryError(f"the policy key is {len(key_bytes)} bytes, not 0 or 4", value=qs)
    policy_key = struct.unpack("<I", key_bytes)[0] if key_bytes else None
    device_type = reader.text("DeviceType")
    params: dict[str, str] = {}
    user = ""
    while not reader.done:
        tag = reader.byte("parameter tag")
        name = _TAG_NAMES.get(tag)
        if name is None:
            raise QueryError(f"unknown command-parameter tag {tag}", value=qs)
        if name == "Options":
            raw = reader.counted("Options")
            bits = raw[0] if raw else 0
            for option, bit in _OPTION_BITS.items():
                if bits & bit:
                    params[option] = "T"
        elif name == "User":
            user = reader.text("User")
        else:
            params[name] = reader.text(name)
    return RequestQuery(
        cmd=command.value,
        user=user,
        device_id=device_id,
        device_type=device_type,
        params=params,
        version=version.value,
        locale=locale,
        policy_key=policy_key,
    )


class _Reader:
    def __init__(self, data: bytes, source: str) -> None:
        self.data, self.pos, self.source = data, 0, source

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)

    def byte(self, what: str) -> int:
        if self.done:
            raise QueryError(f"the base64 query ends before its {what}", value=self.source)
        self.pos += 1
        return self.data[self.pos - 1]

    def counted(self, what: str) -> bytes:
        n = self.byte(f"{what} length")
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise QueryError(f"the base64 query ends inside its {what}", value=self.source)
        self.pos += n
        return chunk

    def text(self, what: str) -> str:
        raw = self.counted(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            # Some devices send a binary DeviceId (Z-Push reads it as hex); keep it readable.
            return raw.hex().upper()
