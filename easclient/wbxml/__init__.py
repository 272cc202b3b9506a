"""WBXML 1.3 as EAS uses it (MS-ASWBXML): the element tree, the code pages and the codec.

``decode(bytes) -> Element``, ``encode(Element) -> bytes``, ``to_xml(Element) -> str``,
``from_xml(str) -> Element``; every malformed input raises :class:`WBXMLError`.
"""

from .codepages import BY_NAME, BY_TOKEN, PAGES, VERSIONS, CodePage, Tag
from .decoder import decode
from .encoder import encode
from .errors import WBXMLError, XMLInputError
from .tree import MAX_DEPTH, E, Element, ns
from .xml import from_xml, to_xml

__all__ = [
    "BY_NAME",
    "BY_TOKEN",
    "MAX_DEPTH",
    "PAGES",
    "VERSIONS",
    "CodePage",
    "E",
    "Element",
    "Tag",
    "WBXMLError",
    "XMLInputError",
    "decode",
    "encode",
    "from_xml",
    "ns",
    "to_xml",
]
