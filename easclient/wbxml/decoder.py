"""WBXML bytes -> element tree (WBXML 1.3 §5, as profiled by MS-ASWBXML 2.1.2).

The decoder accepts every WBXML 1.3 construct an EAS peer can send: SWITCH_PAGE, END, STR_I,
STR_T with a string table, OPAQUE, ENTITY, and tags with or without the content bit. It refuses,
with a :class:`WBXMLError` naming the byte offset:

- tags with the attribute bit, LITERAL tags, PI and the EXT tokens (EAS defines no attributes, no
  literal tag names and no extensions, MS-ASWBXML 2.1.2.1);
- an element holding both text and child elements (EAS has no mixed content);
- anything after the root element's END (strict; lenient mode ignores trailing bytes and reports
  them);
- unknown code pages and tokens (strict; lenient mode keeps them as placeholder tags named
  ``page254:0x05`` and reports them);
- nesting deeper than ``max_depth``, truncated input, declared lengths past the end of the input,
  and strings that are not valid in the declared charset.

Decoding never recurses, so depth is bounded only by ``max_depth``; declared lengths are checked
against the input before anything is allocated.
"""

from __future__ import annotations

import io
from typing import cast

from construct import ConstructError

from . import codepages
from ._grammar import (
    ATTRIBUTE_BIT,
    CHARSETS,
    CONTENT_BIT,
    EAS_HEADER,
    END,
    ENTITY,
    FIRST_TAG_TOKEN,
    OPAQUE,
    STR_I,
    STR_T,
    SWITCH_PAGE,
    TAG_MASK,
    Header,
    Token,
)
from .errors import WBXMLError
from .tree import MAX_DEPTH, Element

# An open element's value: None, one piece, or (from the second piece on) the list of pieces.
_Text = str | bytes | list[str | bytes] | None
# What the decoder keeps of an open element's parent: (tag, children, value).
_Frame = tuple[str, list[Element], _Text]

_NO_TAGS: tuple[str | None, ...] = (None,) * 64


def _page_names(page: int) -> tuple[str | None, ...]:
    names: list[str | None] = [None] * 64
    for tag in codepages.PAGES[page].tags:
        names[tag.token] = tag.qualified
    return tuple(names)


# (page -> 64 tag names indexed by token). Built once from the code-page table; each name is one
# string object shared by every element with that tag.
_NAMES: dict[int, tuple[str | None, ...]] = {page: _page_names(page) for page in codepages.PAGES}


def placeholder(page: int, token: int) -> str:
    """The tag lenient decoding gives an unknown (page, token), e.g. ``page254:0x05``."""
    return f"page{page}:0x{token:02X}"


def decode(
    data: bytes | bytearray | memoryview,
    *,
    lenient: bool = False,
    report: list[WBXMLError] | None = None,
    max_depth: int = MAX_DEPTH,
) -> Element:
    """Decode one WBXML document into its root :class:`Element`.

    Strings become ``str``, OPAQUE data ``bytes``; an element with neither (or an empty string)
    has ``text is None``. Strict by default: any deviation raises :class:`WBXMLError`. With
    ``lenient=True`` unknown code pages/tokens become placeholder tags (:func:`placeholder`) and
    bytes after the root are ignored; each such tolerated problem is appended to ``report`` (when
    given) as a :class:`WBXMLError` that is not raised.
    """
    if not isinstance(data, bytes):
        if not isinstance(data, bytearray | memoryview):
            raise TypeError(f"decode() needs bytes, not {type(data).__name__}")
        data = bytes(data)
    if data[:4] == EAS_HEADER:
        # What every EAS peer sends; the same result as the general path below, minus the cost.
        pos, encoding, strtbl = 4, "utf-8", b""
    else:
        pos, encoding, strtbl = _read_header(data)
    return _body(data, pos, encoding, strtbl, lenient, report, max_depth)


def _read_header(data: bytes) -> tuple[int, str, bytes]:
    stream = io.BytesIO(data)
    try:
        # Not Header.compile(): the compiled Prefixed does not check that the string table is
        # as long as declared. This path only runs for headers other than the canonical one.
        header = Header.parse_stream(stream)
    except ConstructError as exc:
        field = (getattr(exc, "path", None) or "").rpartition(" -> ")[2] or "header"
        reason = str(exc).splitlines()[-1]
        raise WBXMLError(f"bad header, {field}: {reason}", stream.tell()) from None
    if header.version > 0x03:
        raise WBXMLError(f"unsupported WBXML version byte 0x{header.version:02X}", 0)
    encoding = CHARSETS.get(header.charset)
    if encoding is None:
        raise WBXMLError(f"unsupported charset MIBenum {header.charset} in the header", 0)
    return stream.tell(), encoding, header.string_table


def _body(
    data: bytes,
    pos: int,
    encoding: str,
    strtbl: bytes,
    lenient: bool,
    report: list[WBXMLError] | None,
    max_depth: int,
) -> Element:
    # The hot loop: plain Python over the bytes, locals only. A frame on `stack` is the parent's
    # (tag, children, text); the current element's are held in the three locals.
    new = object.__new__
    cls = Element
    find = data.find
    all_names = _NAMES
    page = 0
    names = all_names.get(0, _NO_TAGS)
    stack: list[_Frame] = []
    push = stack.append
    pop = stack.pop
    top: list[Element] = []
    tag = ""  # the current element's; "" in the frame below the root, which has none
    children = top
    text: _Text = None
    depth_limit = max_depth
    n = len(data)
    start = pos
    try:
        while True:
            b = data[pos]
            tok = b & TAG_MASK
            if tok >= FIRST_TAG_TOKEN:
                name = names[tok]
                if name is None or b & ATTRIBUTE_BIT:
                    name = _odd_tag(b, page, pos, lenient, report)
                if len(stack) >= depth_limit:
                    raise WBXMLError(f"elements nested deeper than {depth_limit}", pos)
                if b & CONTENT_BIT:
                    # Fast path for the commonest shape, a leaf with one inline string:
                    # tag|0x40, STR_I, chars, 0x00, END.
                    # (A bad string raises UnicodeDecodeError, reported below at the tag.)
                    if data[pos + 1] == STR_I:
                        end = find(0, pos + 2)
                        if end > 0 and data[end + 1] == END and stack:
                            s = data[pos + 2 : end].decode(encoding)
                            el = new(cls)
                            el.tag = name
                            el.children = []
                            el.text = s or None
                            children.append(el)
                            pos = end + 2
                            continue
                    push((tag, children, text))
                    tag = name
                    children = []
                    text = None
                    pos += 1
                else:
                    el = new(cls)
                    el.tag = name
                    el.children = []
                    el.text = None
                    children.append(el)
                    pos += 1
                    if not stack:
                        break  # an empty root element
            elif b == END:
                if not stack:
                    raise WBXMLError("END without an open element", pos)
                if text is not None:
                    if children:
                        raise WBXMLError(f"{tag} holds both text and child elements", pos)
                    if isinstance(text, list):
                        text = _join(text)
                    if not text:
                        text = None
                el = new(cls)
                el.tag = tag
                el.children = children
                el.text = text
                tag, children, text = pop()
                children.append(el)
                pos += 1
                if not stack:
                    break
            elif b == STR_I:
                end = find(0, pos + 1)
                if end < 0:
                    raise WBXMLError("STR_I string without its terminating NUL", pos)
                s = _decode_str(data, pos + 1, end, encoding)
                text = _add_text(text, s, stack, pos)
                pos = end + 1
            elif b == SWITCH_PAGE:
                page = data[pos + 1]
                names = all_names.get(page, _NO_TAGS)
                if names is _NO_TAGS:
                    problem = WBXMLError(f"unknown code page {page}", pos)
                    if not lenient:
                        raise problem
                    if report is not None:
                        report.append(problem)
                pos += 2
            elif b == OPAQUE:
                length, at = _mb_u_int32(data, pos + 1)
                if length > n - at:
                    raise WBXMLError(
                        f"OPAQUE length {length} runs past the end of the data ({n - at} left)",
                        pos,
                    )
                text = _add_text(text, data[at : at + length], stack, pos)
                pos = at + length
            elif b == STR_T:
                index, at = _mb_u_int32(data, pos + 1)
                if index >= len(strtbl):
                    raise WBXMLError(
                        f"STR_T index {index} outside the {len(strtbl)}-byte string table", pos
                    )
                end = strtbl.find(0, index)
                if end < 0:
                    raise WBXMLError(f"string table entry {index} has no terminating NUL", pos)
                s = _decode_str(strtbl, index, end, encoding, pos)
                text = _add_text(text, s, stack, pos)
                pos = at
            elif b == ENTITY:
                code, at = _mb_u_int32(data, pos + 1)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise WBXMLError(f"ENTITY {code} is not a character a string can hold", pos)
                text = _add_text(text, chr(code), stack, pos)
                pos = at
            else:
                raise WBXMLError(f"{Token(b).name} is not used by EAS and not supported", pos)
    except IndexError:
        # Reading past the end is how truncation shows up; no per-byte bounds checks needed.
        raise WBXMLError("unexpected end of data", n) from None
    except UnicodeDecodeError as exc:
        raise WBXMLError(f"string is not valid {encoding}: {exc.reason}", pos) from None
    if pos != n:
        problem = WBXMLError(f"{n - pos} byte(s) after the end of the root element", pos)
        if not lenient:
            raise problem
        if report is not None:
            report.append(problem)
    if not top:
        raise WBXMLError("no root element", start)
    return top[0]


def _odd_tag(b: int, page: int, pos: int, lenient: bool, report: list[WBXMLError] | None) -> str:
    """A tag byte the table does not name, or one with the attribute bit: raise or placeholder."""
    if b & ATTRIBUTE_BIT:
        raise WBXMLError(
            f"tag 0x{b:02X} has attributes, which EAS never uses (MS-ASWBXML 2.1.2)", pos
        )
    token = b & TAG_MASK
    if page in _NAMES:
        problem = WBXMLError(
            f"unknown token 0x{token:02X} on code page {page} ({codepages.PAGES[page].namespace})",
            pos,
        )
    else:
        problem = WBXMLError(f"unknown token 0x{token:02X} on unknown code page {page}", pos)
    if not lenient:
        raise problem
    if report is not None:
        report.append(problem)
    return placeholder(page, token)


def _decode_str(buf: bytes, start: int, end: int, encoding: str, offset: int | None = None) -> str:
    try:
        return buf[start:end].decode(encoding)
    except UnicodeDecodeError as exc:
        at = start - 1 if offset is None else offset
        raise WBXMLError(f"string is not valid {encoding}: {exc.reason}", at) from None


def _add_text(text: _Text, piece: str | bytes, stack: list[_Frame], pos: int) -> _Text:
    """Collect consecutive string/opaque pieces of one element's value (WBXML allows several).

    From the second piece on, ``text`` is a list of pieces that END joins once (:func:`_join`):
    adding each piece to a growing string copies it again per piece, quadratic in its size.
    """
    if not stack:
        raise WBXMLError("text outside the root element", pos)
    if text is None:
        return piece
    if isinstance(text, list):
        if type(text[0]) is not type(piece):
            raise WBXMLError("an element mixes string and OPAQUE data", pos)
        text.append(piece)
        return text
    if type(text) is not type(piece):
        raise WBXMLError("an element mixes string and OPAQUE data", pos)
    return [text, piece]


def _join(pieces: list[str | bytes]) -> str | bytes:
    """One element's value from its pieces, all ``str`` or all ``bytes`` (:func:`_add_text`)."""
    if type(pieces[0]) is str:
        return "".join(cast("list[str]", pieces))
    return b"".join(cast("list[bytes]", pieces))


def _mb_u_int32(data: bytes, pos: int) -> tuple[int, int]:
    """Read an mb_u_int32 (WBXML 1.3 §5.1) at ``pos``; return (value, position after it)."""
    value = 0
    for at in range(pos, pos + 5):
        b = data[at]
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            if value > 0xFFFFFFFF:
                raise WBXMLError(f"mb_u_int32 {value} exceeds 32 bits", pos)
            return value, at + 1
    raise WBXMLError("mb_u_int32 longer than 5 bytes", pos)
