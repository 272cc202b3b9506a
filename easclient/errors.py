"""The base of the project's own exceptions (the WBXML codec keeps its own: it imports nothing)."""


class EasError(Exception):
    """Base for errors easclient raises on purpose; the CLI prints them as one line."""
