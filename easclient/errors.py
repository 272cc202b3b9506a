"""The base of the project's own exceptions (the WBXML codec keeps its own: it imports nothing)."""

#: How many characters of an offending value an error message quotes.
EXCERPT_LIMIT = 60


def excerpt(value: object, limit: int = EXCERPT_LIMIT) -> str:
    """A bounded, printable quote of ``value`` for an error message: its repr, cut to about
    ``limit`` characters with the full length said, so a hostile 100 KB header or a
    100,000-digit number never becomes a 100 KB error line."""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value[: limit + 1])
        size = len(value)
        text = repr(raw[:limit])
    else:
        s = value if isinstance(value, str) else str(value)
        size = len(s)
        text = repr(s[:limit])
    if size <= limit:
        return text
    unit = "bytes" if isinstance(value, bytes | bytearray | memoryview) else "characters"
    return f"{text}… ({size:,} {unit})"


class EasError(Exception):
    """Base for errors easclient raises on purpose; the CLI prints them as one line."""
