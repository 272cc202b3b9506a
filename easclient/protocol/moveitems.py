"""MoveItems (MS-ASCMD 2.2.1.12): move items from one folder to another.

Request ``Move:MoveItems{Move{SrcMsgId, SrcFldId, DstFldId}…}``; response
``MoveItems{Response{SrcMsgId, Status, DstMsgId?}…}``, one Response per Move. Status 3, not 1,
is success (MS-ASCMD 2.2.3.177.10); the item's new ServerId is ``DstMsgId``.
"""

from __future__ import annotations

from dataclasses import dataclass

from easclient.wbxml import Element, ns

from ._elements import as_tuples, expect_root, opt_text, status, text
from .errors import ProtocolError
from .status import MoveItemsStatus

__all__ = ["Move", "MoveItemsRequest", "MoveItemsResponse", "MoveResult"]

M = ns("Move")


@dataclass(frozen=True, slots=True)
class Move:
    """One item to move: its ServerId and the source and destination folders' ServerIds."""

    src_msg_id: str
    src_fld_id: str
    dst_fld_id: str

    def to_element(self) -> Element:
        return M.Move(
            M.SrcMsgId(self.src_msg_id), M.SrcFldId(self.src_fld_id), M.DstFldId(self.dst_fld_id)
        )

    @classmethod
    def from_element(cls, el: Element) -> Move:
        return cls(text(el, "Move:SrcMsgId"), text(el, "Move:SrcFldId"), text(el, "Move:DstFldId"))


@dataclass(frozen=True, slots=True)
class MoveItemsRequest:
    """Moves to make, in order (MS-ASCMD 2.2.3.113)."""

    moves: tuple[Move, ...]

    def __post_init__(self) -> None:
        as_tuples(self, "moves")
        if not self.moves:
            raise ValueError("MoveItems needs at least one Move")

    def to_element(self, version: str = "14.1") -> Element:
        return M.MoveItems(*(m.to_element() for m in self.moves))

    @classmethod
    def from_element(cls, el: Element) -> MoveItemsRequest:
        expect_root(el, "Move:MoveItems")
        moves = el.findall("Move:Move")
        if not moves:
            raise ProtocolError("MoveItems without a Move", element="Move:MoveItems")
        return cls(tuple(Move.from_element(m) for m in moves))


@dataclass(frozen=True, slots=True)
class MoveResult:
    """The outcome of one Move; ``dst_msg_id`` is the item's ServerId in its new folder."""

    src_msg_id: str
    status: MoveItemsStatus | int
    dst_msg_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == MoveItemsStatus.Success

    def to_element(self) -> Element:
        return M.Response(
            M.SrcMsgId(self.src_msg_id),
            M.Status(int(self.status)),
            None if self.dst_msg_id is None else M.DstMsgId(self.dst_msg_id),
        )

    @classmethod
    def from_element(cls, el: Element) -> MoveResult:
        return cls(
            text(el, "Move:SrcMsgId"),
            status(el, "Move:Status", MoveItemsStatus),
            opt_text(el, "Move:DstMsgId"),
        )


@dataclass(frozen=True, slots=True)
class MoveItemsResponse:
    """One result per requested Move."""

    results: tuple[MoveResult, ...]

    def __post_init__(self) -> None:
        as_tuples(self, "results")

    def to_element(self, version: str = "14.1") -> Element:
        return M.MoveItems(*(r.to_element() for r in self.results))

    @classmethod
    def from_element(cls, el: Element) -> MoveItemsResponse:
        expect_root(el, "Move:MoveItems")
        return cls(tuple(MoveResult.from_element(r) for r in el.findall("Move:Response")))
