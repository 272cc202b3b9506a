"""Element tree -> WBXML bytes, in the minimal form EAS peers write (MS-ASWBXML 2.1.2).

- header ``03 01 6A 00`` (WBXML 1.3, public id 1, UTF-8, no string table);
- a ``str`` value is written as STR_I (UTF-8, NUL-terminated, so a NUL inside is refused);
- a ``bytes`` value is written as OPAQUE. The value's type decides, not the table: a ``str``
  in an element the table marks opaque (``ComposeMail:Mime``…) is written as STR_I, which every
  server accepts and which decodes back to the same ``str``, so ``decode(encode(t)) == t`` holds
  for every tree;
- SWITCH_PAGE only when the code page changes; an element without value or children is written
  without the content bit.

Placeholder tags from lenient decoding (``page254:0x05``) are written back as that page and token,
so a leniently decoded document re-encodes to the same bytes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Iterator

from . import codepages
from ._grammar import CONTENT_BIT, EAS_HEADER, END, OPAQUE, STR_I, SWITCH_PAGE, mb_u_int32
from .errors import WBXMLError
from .tree import MAX_DEPTH, Element

_PLACEHOLDER = re.compile(r"page(\d{1,3}):0x([0-9A-F]{2})")


def _codes(tags: Iterable[codepages.Tag]) -> dict[str, tuple[int, int]]:
    return {sys.intern(t.qualified): (t.page, t.token) for t in tags}


_ALL_TAGS = list(codepages.BY_NAME.values())
# tag -> (page, token), and the same restricted to each protocol version (for strict encoding).
_CODES: dict[str, tuple[int, int]] = _codes(_ALL_TAGS)
_CODES_IN: dict[str, dict[str, tuple[int, int]]] = {
    v: _codes(t for t in _ALL_TAGS if t.in_version(v)) for v in codepages.VERSIONS
}


def encode(
    tree: Element,
    *,
    version: str | None = None,
    strict: bool = False,
    max_depth: int = MAX_DEPTH,
) -> bytes:
    """Encode ``tree`` as an EAS WBXML document.

    With ``version`` (e.g. ``"14.1"``) and ``strict=True``, a tag that protocol version does not
    have raises :class:`WBXMLError`; without ``strict`` the version is not checked. Trees nested
    deeper than ``max_depth`` (the decoder's bound; it also stops a tree that contains itself)
    are refused.
    """
    if not isinstance(tree, Element):
        raise TypeError(f"encode() needs an Element, not {type(tree).__name__}")
    if version is not None and version not in _CODES_IN:
        raise WBXMLError(
            f"unknown protocol version {version!r} (known: {', '.join(codepages.VERSIONS)})"
        )
    codes = _CODES_IN[version] if (strict and version is not None) else _CODES
    out = bytearray(EAS_HEADER)
    append = out.append
    extend = out.extend
    page = 0
    # Iterators over the children still to write, one per open element; `path` names the open
    # elements for error messages.
    stack: list[Iterator[Element]] = []
    path: list[str] = []
    it = iter((tree,))
    try:
        while True:
            for el in it:
                tag = el.tag
                code = codes.get(tag)
                if code is None:
                    code = _unlisted(tag, version, path)
                p, token = code
                if p != page:
                    append(SWITCH_PAGE)
                    append(p)
                    page = p
                text = el.text
                if el.children:
                    if text is not None and text != "":
                        raise _error(path, tag, "holds both a value and child elements")
                    if len(stack) >= max_depth - 1:  # its children would be deeper than max_depth
                        raise _error(path, tag, f"has children deeper than {max_depth} levels")
                    append(token | CONTENT_BIT)
                    stack.append(it)
                    path.append(tag)
                    it = iter(el.children)
                    break
                if text is None or text == "" or text == b"":
                    append(token)
                elif text.__class__ is str:
                    try:
                        data = text.encode()
                    except UnicodeEncodeError as exc:
                        raise _error(
                            path, tag, f"text cannot be UTF-8 encoded: {exc.reason}"
                        ) from None
                    if 0 in data:
                        raise _error(
                            path, tag, "text holds a NUL character, which STR_I cannot carry"
                        )
                    append(token | CONTENT_BIT)
                    append(STR_I)
                    extend(data)
                    extend(b"\x00\x01")
                elif isinstance(text, bytes | bytearray):
                    append(token | CONTENT_BIT)
                    append(OPAQUE)
                    extend(mb_u_int32(len(text)))
                    extend(text)
                    append(END)
                else:
                    raise _error(
                        path, tag, f"value must be str or bytes, not {type(text).__name__}"
                    )
            else:
                if not stack:
                    break
                append(END)
                it = stack.pop()
                path.pop()
    except AttributeError:
        # A child that is not an Element (el.children.append("x") does not check): say so
        # instead of leaking the AttributeError.
        if isinstance(el, Element):
            raise
        where = "/".join(path) or tree.tag
        raise WBXMLError(
            f"{where}: a child is {type(el).__name__} {el!r:.40}, not an Element"
        ) from None
    return bytes(out)


def _unlisted(tag: str, version: str | None, path: list[str]) -> tuple[int, int]:
    """(page, token) for a tag missing from the current table: a placeholder, or an error."""
    if not isinstance(tag, str):
        raise _error(path, repr(tag), "tag must be a str")
    m = _PLACEHOLDER.fullmatch(tag)
    if m:
        page, token = int(m[1]), int(m[2], 16)
        if page <= 255 and 0x05 <= token <= 0x3F:
            return page, token
    known = codepages.BY_NAME.get(tag)
    if known is not None and version is not None:
        raise _error(
            path, tag, f"is not in protocol version {version} (only {known.since} to {known.until})"
        )
    raise _error(path, tag, "is not a tag of any code page")


def _error(path: list[str], tag: str, reason: str) -> WBXMLError:
    where = "/".join([*path, tag])
    return WBXMLError(f"{where}: {reason}")
