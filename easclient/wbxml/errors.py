"""The codec's one error type for malformed input."""

from __future__ import annotations

#: How many characters of an offending value an error message quotes.
EXCERPT_LIMIT = 60


def excerpt(value: str | bytes, limit: int = EXCERPT_LIMIT) -> str:
    """A bounded quote of ``value`` for an error message: its repr cut to ``limit`` characters,
    with the full length said when cut. (easclient.errors has the same for the rest of the
    project; the codec imports nothing of ours.)"""
    text = repr(value[:limit])
    if len(value) <= limit:
        return text
    unit = "bytes" if isinstance(value, bytes) else "characters"
    return f"{text}… ({len(value):,} {unit})"


class WBXMLError(ValueError):
    """Malformed WBXML (or XML, or an element tree the encoder cannot write).

    ``reason`` says what is wrong; ``offset`` says where: the byte offset in the WBXML input for
    the decoder, the byte offset of the UTF-8 text for :func:`from_xml`, or ``None`` when
    encoding a tree (the reason then names the element's path).
    """

    def __init__(self, reason: str, offset: int | None = None) -> None:
        self.reason = reason
        self.offset = offset
        super().__init__(reason if offset is None else f"at byte {offset}: {reason}")

    # keep pickling (multiprocessing, pytest-xdist) working
    def __reduce__(self) -> tuple[type[WBXMLError], tuple[object, ...]]:
        return (type(self), (self.reason, self.offset))


class XMLInputError(WBXMLError):
    """:func:`from_xml` refused its input; ``line`` and ``column`` (1-based) say where."""

    def __init__(
        self, reason: str, offset: int | None = None, line: int = 0, column: int = 0
    ) -> None:
        self.line = line
        self.column = column
        super().__init__(reason, offset)
        self.args = (f"XML line {line}, column {column} (byte {offset}): {reason}",)

    def __reduce__(self) -> tuple[type[WBXMLError], tuple[object, ...]]:
        return (type(self), (self.reason, self.offset, self.line, self.column))
