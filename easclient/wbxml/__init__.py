"""WBXML 1.3 as EAS uses it (MS-ASWBXML): the element tree and the code pages.

The codec functions (``decode``, ``encode``, ``to_xml``, ``from_xml``, ``WBXMLError``) are
re-exported here once they exist.
"""

from .codepages import BY_NAME, BY_TOKEN, PAGES, VERSIONS, CodePage, Tag
from .tree import E, Element, ns

__all__ = ["BY_NAME", "BY_TOKEN", "PAGES", "VERSIONS", "CodePage", "E", "Element", "Tag", "ns"]
