"""The element tree that the codec reads and writes.

An EAS document is a tree of elements without attributes or mixed content: each element has a
qualified tag (``"Namespace:Name"``, the namespaces as MS-ASCMD's examples write them) and either
child elements, a text value (``str``), opaque data (``bytes``), or nothing.

Building by hand::

    from easclient.wbxml import E, ns
    A = ns("AirSync")
    doc = A.Sync(A.Collections(A.Collection(A.SyncKey("0"), A.CollectionId("5"))))
    # the same as
    doc = E("AirSync:Sync", E("AirSync:Collections", ...))

Reading: ``doc.find("Collections/Collection/SyncKey").text``, ``doc.findtext(...)``,
``doc.findall(...)``, ``doc.iter()``. A bare name matches the local part of a tag; a qualified
name (``"AirSync:SyncKey"``) matches the whole tag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

Content = str | bytes | None

#: The codec's one bound on element nesting: decode, encode and from_xml refuse deeper
#: documents, and everything else here (iter, ==, repr) works without recursion up to it and
#: beyond. Real EAS documents are under 15 levels deep.
MAX_DEPTH = 1000


class Element:
    """One element: ``tag`` ("Namespace:Name"), ``children`` (list) and ``text``.

    ``text`` is ``str`` for a string value, ``bytes`` for opaque data, ``None`` when there is no
    value. An empty string is normalised to ``None``: WBXML as EAS writes it has no way to tell
    ``<A></A>`` from ``<A/>``.
    """

    __slots__ = ("children", "tag", "text")

    def __init__(self, tag: str, *content: Element | str | bytes | int | None) -> None:
        self.tag = tag
        self.text: Content = None
        self.children: list[Element] = []
        if len(content) == 1 and not isinstance(content[0], Element):
            value = content[0]
            if isinstance(value, bool):
                value = "1" if value else "0"
            elif isinstance(value, int):
                value = str(value)
            self.text = value or None
        else:
            for child in content:
                if child is None:
                    continue
                if not isinstance(child, Element):
                    raise TypeError(
                        f"{tag}: an element has either one text value or child elements, "
                        f"got {child!r} among children"
                    )
                self.children.append(child)

    @classmethod
    def _raw(cls, tag: str, children: list[Element], text: Content) -> Element:
        """Fast constructor for the decoder: no checks, no normalisation."""
        el = cls.__new__(cls)
        el.tag = tag
        el.children = children
        el.text = text
        return el

    # -- naming ---------------------------------------------------------------------------
    @property
    def namespace(self) -> str:
        return self.tag.partition(":")[0]

    @property
    def name(self) -> str:
        """The local name (the tag without its namespace)."""
        return self.tag.rpartition(":")[2]

    # -- structure ------------------------------------------------------------------------
    def append(self, child: Element) -> Element:
        """Add a child and return it (handy when building a document piece by piece)."""
        if self.text is not None:
            raise TypeError(f"{self.tag} holds a value; it cannot also hold children")
        self.children.append(child)
        return child

    def __iter__(self) -> Iterator[Element]:
        return iter(self.children)

    def __len__(self) -> int:
        return len(self.children)

    def __bool__(self) -> bool:  # an element is always truthy, even when empty
        return True

    def iter(self, name: str | None = None) -> Iterator[Element]:
        """This element and all below it, depth first, optionally only those named ``name``."""
        stack = [self]
        while stack:
            el = stack.pop()
            if name is None or _matches(el.tag, name):
                yield el
            stack.extend(reversed(el.children))

    def findall(self, path: str) -> list[Element]:
        """Elements reached by a ``/``-separated path of names from this element's children."""
        current = [self]
        for step in path.split("/"):
            current = [c for el in current for c in el.children if _matches(c.tag, step)]
            if not current:
                break
        return current

    def find(self, path: str) -> Element | None:
        """The first element reached by ``path``, or ``None``."""
        if "/" not in path:
            # One step, the protocol layer's commonest lookup (several per item of a Sync
            # response): stop at the first match instead of collecting them all.
            if ":" in path:
                for c in self.children:
                    if c.tag == path:
                        return c
                return None
            for c in self.children:
                if _matches(c.tag, path):
                    return c
            return None
        found = self.findall(path)
        return found[0] if found else None

    def findtext(self, path: str, default: str | None = None) -> str | None:
        """The text of the first element at ``path`` ("" for an empty one), else ``default``."""
        el = self.find(path)
        if el is None:
            return default
        if isinstance(el.text, bytes):
            return el.text.decode("utf-8", "replace")
        return el.text or ""

    # -- comparison and display -----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Element):
            return NotImplemented
        # An explicit stack instead of comparing the children lists (which recursed once per
        # level and failed at a few hundred levels, below MAX_DEPTH); the same result.
        pairs: list[tuple[object, object]] = [(self, other)]
        while pairs:
            a, b = pairs.pop()
            if a is b:
                continue  # as list equality does
            if not (isinstance(a, Element) and isinstance(b, Element)):
                if a != b:  # a non-Element child (children.append("x") is not checked)
                    return False
                continue
            if a.tag != b.tag or a.text != b.text or len(a.children) != len(b.children):
                return False
            pairs.extend(zip(a.children, b.children, strict=True))  # lengths checked
        return True

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        # Written without recursion (see __eq__); the same text as the obvious recursive form
        # E('A:B', E('A:C', '1'), E('A:D')).
        out: list[str] = []
        # Elements still to write, and the closing ")" / ", " literals between them.
        work: list[object] = [self]
        while work:
            item = work.pop()
            if isinstance(item, _Literal):
                out.append(item.text)
            elif not isinstance(item, Element):
                out.append(repr(item))
            elif item.children:
                out.append(f"E({item.tag!r}, ")
                work.append(_CLOSE)
                for i, child in enumerate(reversed(item.children)):
                    if i:
                        work.append(_COMMA)
                    work.append(child)
            elif item.text is not None:
                out.append(f"E({item.tag!r}, {item.text!r})")
            else:
                out.append(f"E({item.tag!r})")
        return "".join(out)


class _Literal:
    """Fixed text in Element.__repr__'s work list (told apart from str children by class)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


_CLOSE = _Literal(")")
_COMMA = _Literal(", ")


def _matches(tag: str, name: str) -> bool:
    if ":" in name:
        return tag == name
    return tag.endswith(name) and (len(tag) == len(name) or tag[-len(name) - 1] == ":")


def E(tag: str, *content: Element | str | bytes | int | None) -> Element:
    """Shorthand for :class:`Element`."""
    return Element(tag, *content)


class ns:
    """A builder for one namespace: ``A = ns("AirSync"); A.SyncKey("0")``."""

    # __dict__ caches each builder once made: protocol builders run A.SyncKey(...) and the like
    # per element of every message, and a failed lookup into __getattr__ costs microseconds.
    __slots__ = ("__dict__", "namespace")

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def __getattr__(self, name: str) -> Callable[..., Element]:
        if name.startswith("__"):
            raise AttributeError(name)
        tag = f"{self.namespace}:{name}"

        def build(*content: Element | str | bytes | int | None) -> Element:
            return Element(tag, *content)

        self.__dict__[name] = build
        return build

    def __call__(self, name: str, *content: Element | str | bytes | int | None) -> Element:
        return Element(f"{self.namespace}:{name}", *content)
