"""Element tree <-> XML text, in the form MS-ASCMD's examples use.

:func:`to_xml` declares the root's namespace as the default (``<Sync xmlns="AirSync:">``) and
every other namespace of the document once, on the root, with its lower-cased name as prefix
(``xmlns:airsyncbase="AirSyncBase:"`` … ``<airsyncbase:Body>``), as MS-ASCMD's examples do.
:func:`from_xml` accepts any namespace style (prefixes, per-element defaults as libwbxml writes
them, namespace names with or without the trailing colon, in any letter case such as libwbxml's
``Gal:``).

Values:

- text is escaped; CR is written as ``&#13;`` because XML parsers turn a literal CR into LF;
  characters XML 1.0 cannot hold at all (most C0 controls) make :func:`to_xml` raise
  :class:`WBXMLError`;
- opaque data (``bytes``) in the elements the code-page table marks as binary is written as
  base64 (EAS-FACTS 5.3, libwbxml's convention) and read back as ``bytes``;
- the two unusual cases keep their type through an ``opaque`` attribute: ``bytes`` in an element
  the table does not mark (``opaque="true"``, base64) and ``str`` in one it does
  (``opaque="false"``, plain text). So ``from_xml(to_xml(t)) == t`` for every tree.

Input is treated as untrusted: a DOCTYPE with an internal subset, entity declarations and
external entities are refused; nesting is bounded like the decoder's.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from xml.parsers import expat

from . import codepages
from .errors import WBXMLError, XMLInputError, excerpt
from .tree import MAX_DEPTH, Element

_PLACEHOLDER_NS = re.compile(r"page\d{1,3}")
_NAME = re.compile(r"[A-Za-z_][\w.\-]*", re.ASCII)
_PLACEHOLDER_LOCAL = re.compile(r"_(0x[0-9A-F]{2})")
# Characters XML 1.0 cannot carry, not even as character references (XML 1.0 §2.2).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")
_NAMESPACE_BY_LOWER = {ns.lower(): ns for ns in codepages.PAGE_OF_NAMESPACE}


def namespace_uri(namespace: str) -> str:
    """The XML namespace name MS-ASCMD writes for a code page: ``AirSync`` -> ``AirSync:``."""
    return f"{namespace}:"


# tag -> (namespace, local) of the tags _split has accepted: a document repeats a few dozen tags
# thousands of times, and two regex matches per element were most of to_xml's time.
_SPLIT: dict[str, tuple[str, str]] = {}


def _split(tag: str) -> tuple[str, str]:
    if tag.__class__ is str:
        known = _SPLIT.get(tag)
        if known is not None:
            return known
    namespace, _, local = tag.partition(":") if isinstance(tag, str) else ("", "", "")
    if _PLACEHOLDER_NS.fullmatch(namespace) and local.startswith("0x"):
        local = "_" + local  # XML names cannot start with a digit
    if not (_NAME.fullmatch(namespace) and _NAME.fullmatch(local)):
        # to_xml writes any well-formed tag (from_xml is the one that checks the code pages),
        # but never malformed XML
        raise WBXMLError(f"tag {tag!r} is not of the form Namespace:Name")
    if tag.__class__ is str and len(_SPLIT) < 4096:  # bounded: lenient placeholders vary
        _SPLIT[tag] = (namespace, local)
    return namespace, local


def _is_opaque(tag: str) -> bool:
    known = codepages.BY_NAME.get(tag)
    return known is not None and known.opaque


def to_xml(tree: Element, *, pretty: bool = True) -> str:
    """Write ``tree`` as an XML document (see the module docstring for the form)."""
    root_ns, _ = _split(tree.tag)
    namespaces: dict[str, None] = {}
    # tree.iter()'s order (so the declarations come out the same), checking each child's type:
    # el.children.append("x") is not checked when it happens.
    stack = [tree]
    while stack:
        el = stack.pop()
        if not isinstance(el, Element):
            raise WBXMLError(f"a child is {type(el).__name__} {el!r:.40}, not an Element")
        namespaces[_split(el.tag)[0]] = None
        stack.extend(reversed(el.children or ()))
    prefix = {ns: ns.lower() for ns in namespaces if ns != root_ns}
    prefix[root_ns] = ""

    nl = "\n" if pretty else ""
    out: list[str] = [f'<?xml version="1.0" encoding="utf-8"?>{nl}']
    decls = f' xmlns="{_attr(namespace_uri(root_ns))}"' + "".join(
        f' xmlns:{p}="{_attr(namespace_uri(ns))}"' for ns, p in prefix.items() if p
    )
    first = True
    # Depth-first with an explicit stack of (action, element, depth): trees can be deeper than
    # Python's recursion limit.
    work: list[tuple[str, Element, int]] = [("open", tree, 0)]
    while work:
        action, el, depth = work.pop()
        indent = "  " * depth if pretty else ""
        namespace, local = _split(el.tag)
        p = prefix[namespace]
        qname = f"{p}:{local}" if p else local
        if action == "close":
            out.append(f"{indent}</{qname}>{nl}")
            continue
        extra = decls if first else ""
        first = False
        if el.children:
            if el.text is not None and el.text != "":
                raise WBXMLError(f"{el.tag}: holds both a value and child elements")
            out.append(f"{indent}<{qname}{extra}>{nl}")
            work.append(("close", el, depth))
            work.extend(("open", child, depth + 1) for child in reversed(el.children))
            continue
        text = el.text
        if text is None or text == "" or text == b"":
            out.append(f"{indent}<{qname}{extra}/>{nl}")
            continue
        opaque = _is_opaque(el.tag)
        if isinstance(text, bytes | bytearray):
            value = base64.b64encode(text).decode("ascii")
            if not opaque:
                extra += ' opaque="true"'
        elif isinstance(text, str):
            bad = _NOT_XML.search(text)
            if bad:
                raise WBXMLError(
                    f"{el.tag}: text holds U+{ord(bad.group()):04X}, which XML 1.0 cannot represent"
                )
            value = _escape(text)
            if opaque:
                extra += ' opaque="false"'
        else:
            raise WBXMLError(f"{el.tag}: value must be str or bytes, not {type(text).__name__}")
        out.append(f"{indent}<{qname}{extra}>{value}</{qname}>{nl}")
    return "".join(out)


def _escape(text: str) -> str:
    # str.replace runs in C; str.translate with a dict goes through Python per character and
    # made long MIME bodies the slowest part of to_xml.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")  # a literal CR would come back as LF
    return text


def _attr(value: str) -> str:
    return value.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


_DECLARED_ENCODING = re.compile(rb"""<\?xml\s[^>]*?\bencoding\s*=\s*["']([^"'>]*)""")


def _encoding_problem(data: bytes, exc: Exception) -> str:
    m = _DECLARED_ENCODING.match(data)  # linear: no nested repetition
    name = m[1].decode("latin-1") if m else None
    if isinstance(exc, LookupError):
        why = "unknown"
    elif str(exc) == "multi-byte encodings are not supported":  # pyexpat's words
        why = "a multi-byte encoding, which the XML reader cannot decode"
    else:
        why = f"not usable ({excerpt(str(exc))})"
    if name is None:
        return f"the XML declaration's encoding is {why}; send UTF-8"
    return f"the XML declaration's encoding {excerpt(name)} is {why}; send UTF-8"


def from_xml(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Element:
    """Read an XML document into an element tree; raise :class:`XMLInputError` when it is not
    well-formed, uses a namespace or tag no code page has, or holds anything EAS XML cannot
    (attributes other than ``opaque``, mixed content, DTD internal subsets, entities)."""
    return _Reader(max_depth).read(text)


class _Reader:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        # open elements: [tag, children, text pieces, opaque?, any non-whitespace text?]
        self.stack: list[list[Any]] = []
        self.root: Element | None = None
        self.parser: expat.XMLParserType | None = None  # while read() runs
        if isinstance(max_depth, bool) or max_depth < 1:
            raise ValueError("max_depth must be at least 1")

    def read(self, text: str | bytes) -> Element:
        if isinstance(text, str):
            # Parse the UTF-8 bytes with the encoding forced, whatever the declaration says:
            # the str is already decoded.
            data = text.encode("utf-8", "surrogatepass")
            parser = expat.ParserCreate("utf-8", " ")
        elif isinstance(text, bytes | bytearray | memoryview):
            data = bytes(text)
            parser = expat.ParserCreate(None, " ")
        else:
            raise TypeError(f"from_xml() needs str or bytes, not {type(text).__name__}")
        self.parser = parser
        parser.buffer_text = True
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.chars
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.entity
        parser.ExternalEntityRefHandler = self.external_entity
        parser.SkippedEntityHandler = self.skipped_entity
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise XMLInputError(
                expat.ErrorString(exc.code),
                parser.ErrorByteIndex,
                exc.lineno,
                exc.offset + 1,
            ) from None
        except WBXMLError:
            raise  # from a handler below (a ValueError too, hence first)
        except (LookupError, ValueError) as exc:
            # Bytes whose XML declaration names an encoding expat cannot use: unknown to Python
            # (LookupError), multi-byte such as shift_jis or utf-7 ("not supported"), or a
            # codec that is no text encoding at all (idna, undefined: UnicodeError).
            raise XMLInputError(_encoding_problem(data, exc), 0, 1, 1) from None
        finally:
            # break the parser <-> handler cycle
            self.parser = None
        if self.root is None:  # expat reports "no element found" before we get here
            raise XMLInputError("no root element", 0, 1, 1)
        return self.root

    def fail(self, reason: str) -> XMLInputError:
        p = self.parser
        assert p is not None, "handlers run only inside read()"
        return XMLInputError(
            reason, p.CurrentByteIndex, p.CurrentLineNumber, p.CurrentColumnNumber + 1
        )

    # -- expat handlers ---------------------------------------------------------------------
    def doctype(
        self, name: str, system_id: str | None, public_id: str | None, has_internal_subset: bool
    ) -> None:
        # A bare DOCTYPE line (libwbxml writes one) is harmless; an internal subset is where
        # entity expansion attacks live.
        if has_internal_subset:
            raise self.fail("a DOCTYPE with an internal subset is not accepted")

    def entity(self, *args: object) -> None:
        raise self.fail("entity declarations are not accepted")

    def external_entity(self, *args: object) -> int:
        raise self.fail("external entities are not accepted")

    def skipped_entity(self, name: str, is_parameter_entity: bool) -> None:
        raise self.fail(f"undefined entity &{name};")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        uri, sep, local = name.partition(" ")
        if not sep:
            raise self.fail(f'element <{name}> has no namespace (expected e.g. xmlns="AirSync:")')
        namespace = uri[:-1] if uri.endswith(":") else uri
        if _PLACEHOLDER_NS.fullmatch(namespace):
            m = _PLACEHOLDER_LOCAL.fullmatch(local)
            if not m:
                raise self.fail(f"{local} in {namespace} is not a placeholder like _0x05")
            tag = f"{namespace}:{m[1]}"
            opaque = False
        else:
            if namespace not in codepages.PAGE_OF_NAMESPACE:
                # other spellings seen in the wild, e.g. libwbxml's "Gal:" for GAL
                namespace = _NAMESPACE_BY_LOWER.get(namespace.lower(), "")
                if not namespace:
                    raise self.fail(f"namespace {uri!r} is not an EAS code page")
            tag = f"{namespace}:{local}"
            known = codepages.BY_NAME.get(tag)
            if known is None:
                raise self.fail(f"{tag} is not a tag of code page {namespace}")
            opaque = known.opaque
        for key, value in attrs.items():
            if key != "opaque" or value not in ("true", "false"):
                raise self.fail(
                    f"{tag}: attribute {key.replace(' ', ':')}={value!r} not accepted "
                    '(EAS XML has none; only opaque="true|false")'
                )
            opaque = value == "true"
        if len(self.stack) >= self.max_depth:
            raise self.fail(f"elements nested deeper than {self.max_depth}")
        if self.root is not None:
            raise self.fail("a second root element")
        if self.stack:
            top = self.stack[-1]
            if top[4]:
                raise self.fail(f"{top[0]} holds both text and child elements")
            top[2] = []  # whitespace only: layout, dropped when the element has children
        self.stack.append([tag, [], [], opaque, False])

    def chars(self, data: str) -> None:
        # Linear in the input: a piece is looked at once (pretty-printed XML has one
        # whitespace piece per child, and re-joining them per child was quadratic).
        if self.stack:
            top = self.stack[-1]
            if data.strip():
                if top[1]:
                    raise self.fail(f"{top[0]} holds both text and child elements")
                top[4] = True
            if not top[1]:
                top[2].append(data)

    def end(self, name: str) -> None:
        tag, children, pieces, opaque, _ = self.stack.pop()
        joined = "".join(pieces)
        text: str | bytes | None = joined or None
        if children:
            text = None  # whitespace between child elements is layout
        elif text is not None and opaque:
            try:
                text = base64.b64decode(_WHITESPACE.sub("", joined), validate=True) or None
            except (binascii.Error, ValueError):
                raise self.fail(
                    f"{tag} carries opaque data, written as base64 in XML, and this is not "
                    'base64 (mark text with opaque="false")'
                ) from None
        el = Element._raw(tag, children, text)
        if self.stack:
            self.stack[-1][1].append(el)
        else:
            self.root = el
