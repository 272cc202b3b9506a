"""Small readers shared by the command modules: required children, integers, booleans, statuses.

Each raises :class:`ProtocolError` naming the element and the offending value, so a malformed
response never surfaces as a bare ``ValueError`` or ``AttributeError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum

from easclient.errors import excerpt
from easclient.wbxml import BY_NAME, VERSIONS, Element

from .errors import ProtocolError
from .status import status_of
from .versions import ProtocolVersion


def as_tuples(obj: object, *names: str) -> None:
    """Normalise sequence fields of a frozen dataclass to tuples (in ``__post_init__``).

    Callers may pass a list, any iterable, or a single item; parsed values are tuples, so
    without this ``X.from_element(x.to_element()) == x`` would fail for ``x`` built with lists.
    """
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, tuple):
            continue
        if isinstance(value, str | bytes | Element) or not isinstance(value, Iterable):
            value = (value,)
        object.__setattr__(obj, name, tuple(value))


def expect_root(el: Element, tag: str) -> Element:
    """``el`` itself when it is ``tag`` ("Namespace:Name"), else a ProtocolError."""
    if el.tag != tag:
        raise ProtocolError(f"expected {tag} as the root element, got {el.tag}")
    return el


def child(el: Element, tag: str) -> Element:
    """The required child ``tag`` of ``el``."""
    found = el.find(tag)
    if found is None:
        raise ProtocolError(f"{el.tag} lacks its required {tag}")
    return found


def text(el: Element, tag: str) -> str:
    """The text of the required child ``tag`` ("" when empty)."""
    value = el.findtext(tag)
    if value is None:
        raise ProtocolError(f"{el.tag} lacks its required {tag}")
    return value


def opt_text(el: Element, tag: str) -> str | None:
    """The text of the optional child ``tag``, or None."""
    return el.findtext(tag)


#: Digits an integer on the wire may have: the largest EAS values (uint32 keys, int64 sizes)
#: have at most 20; a longer run is refused before int() parses it.
MAX_INT_DIGITS = 20


def to_int(value: str, where: str) -> int:
    """``value`` as an integer (ASCII digits, optional "-", surrounding blanks), or a
    ProtocolError naming ``where``. int() alone would take "1_0", "+1" or non-ASCII digits
    ("١٢"), which are not integers in the protocol (MS-ASDTYPE 2.6), and spends quadratic
    time on a 100,000-digit value."""
    text = value.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit() and len(digits) <= MAX_INT_DIGITS):
        raise ProtocolError(
            f"{where} must be an integer, got {excerpt(value)}", element=where, value=value[:64]
        )
    return int(text)


def opt_int(el: Element, tag: str) -> int | None:
    """The optional child ``tag`` as an integer, or None."""
    value = el.findtext(tag)
    return None if value is None else to_int(value, f"{el.tag}/{tag}")


def req_int(el: Element, tag: str) -> int:
    """The required child ``tag`` as an integer."""
    return to_int(text(el, tag), f"{el.tag}/{tag}")


def to_bool(value: str, where: str) -> bool:
    """An EAS boolean (MS-ASDTYPE 2.1: "0" or "1")."""
    if value.strip() == "1":
        return True
    if value.strip() == "0":
        return False
    raise ProtocolError(f"{where} must be 0 or 1, got {excerpt(value)}")


def opt_bool(el: Element, tag: str) -> bool | None:
    """The optional boolean child ``tag``, or None."""
    value = el.findtext(tag)
    return None if value is None else to_bool(value, f"{el.tag}/{tag}")


def status(el: Element, tag: str, enum: type[IntEnum]) -> IntEnum | int:
    """The required status child ``tag``: an ``enum`` member, or the int for unknown codes."""
    return status_of(enum, req_int(el, tag))


def opt_status(el: Element, tag: str, enum: type[IntEnum]) -> IntEnum | int | None:
    """The optional status child ``tag``, or None."""
    code = opt_int(el, tag)
    return None if code is None else status_of(enum, code)


def code_of(enum: type[IntEnum], value: int) -> IntEnum | int:
    """``enum(value)``, or the bare int for a value the enum does not list (kept, not crashed)."""
    try:
        return enum(value)
    except ValueError:
        return value


# Per protocol version, the tags the code-page table says it lacks: builders prune every
# request and response, so this is looked up once per element of each message.
_ABSENT: dict[str, frozenset[str]] = {
    v: frozenset(name for name, tag in BY_NAME.items() if not tag.in_version(v)) for v in VERSIONS
}


def _absent(version: str) -> frozenset[str]:
    absent = _ABSENT.get(version)
    if absent is None:  # " 14.1" and the like; anything unknown is a VersionError
        absent = _ABSENT[ProtocolVersion.parse(version).value]
    return absent


def in_version(tag: str, version: str) -> bool:
    """Whether protocol ``version`` has ``tag`` per the code-page table (unlisted tags: yes)."""
    return tag not in _absent(version)


def prune(el: Element, version: str) -> Element:
    """A copy of ``el`` without the elements protocol ``version`` does not have.

    Builders call this on what they write, so a request or response never carries an element
    its version lacks (e.g. ``Wait`` at 12.0, ``AirSyncBase:Preview`` before 14.0): a device
    speaking that version would not send it. Tags the code-page table does not list are kept.
    """
    absent = _absent(version)
    if el.tag in absent:
        raise ValueError(f"protocol {version} has no {el.tag}")
    return _prune(el, absent)


def _prune(el: Element, absent: frozenset[str]) -> Element:
    if not el.children:
        return Element._raw(el.tag, [], el.text)
    kept = [_prune(c, absent) for c in el.children if c.tag not in absent]
    return Element._raw(el.tag, kept, el.text)
