"""A check shared by the command-module tests: every element a builder writes for a protocol
version is in the code-page table for that version (so the encoder can write it)."""

from __future__ import annotations

from easclient.wbxml import BY_NAME, Element


def assert_tags_in_version(el: Element, version: str) -> None:
    for node in el.iter():
        tag = BY_NAME.get(node.tag)
        assert tag is not None, f"{node.tag} is not in the code-page table"
        assert tag.in_version(version), f"{node.tag} is not in protocol {version}"
