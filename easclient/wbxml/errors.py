"""The codec's one error type for malformed input."""

from __future__ import annotations


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

    def __reduce__(self):  # keep pickling (multiprocessing, pytest-xdist) working
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

    def __reduce__(self):
        return (type(self), (self.reason, self.offset, self.line, self.column))
