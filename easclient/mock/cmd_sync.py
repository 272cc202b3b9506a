"""Sync and GetItemEstimate on the server side (MS-ASCMD 2.2.1.21, 2.2.1.9)."""

from __future__ import annotations

import re
from email.utils import formataddr

from easclient.protocol.calendar import CalendarEvent
from easclient.protocol.contacts import Contact
from easclient.protocol.email import Email
from easclient.protocol.errors import ProtocolError
from easclient.protocol.getitemestimate import (
    EstimateResult,
    GetItemEstimateRequest,
    GetItemEstimateResponse,
)
from easclient.protocol.notes import Note
from easclient.protocol.status import GetItemEstimateStatus, SyncStatus
from easclient.protocol.sync import (
    INITIAL_SYNC_KEY,
    ApplicationData,
    ClientAdd,
    ClientChange,
    ClientDelete,
    ClientFetch,
    ContentItem,
    SyncAdd,
    SyncChange,
    SyncCollectionRequest,
    SyncCollectionResponse,
    SyncDelete,
    SyncItemResponse,
    SyncRequest,
    SyncResponse,
    parse_application_data,
)
from easclient.protocol.tasks import Task
from easclient.protocol.versions import version_at_least
from easclient.wbxml import Element

from .config import Quirk
from .context import Answer, Context
from .mailbox import BASE_TIME, Folder, Item, Message
from .meetings import invite
from .pim import PimItem
from .render import change_for, email_for
from .syncstate import CollectionState
from .waiting import wait_for_changes

#: What the mock's SyncKeys look like ("0", or "<counter>.<hex generation>"): anything else is
#: "malformed" to the MALFORMED_SYNCKEY_501 quirk.
_WELL_FORMED_KEY = re.compile(r"\d+(\.[0-9a-f]+)?")

DEFAULT_WINDOW = 100
MAX_WINDOW = 512  # Exchange's upper bound for WindowSize (MS-ASCMD 2.2.3.199)


def _window(*sizes: int | None) -> int:
    for size in sizes:
        if size is not None and size > 0:
            return min(size, MAX_WINDOW)
    return DEFAULT_WINDOW


def _pim_data(folder: Folder, data: object) -> ContentItem | None:
    """A device's Add/Change for a calendar, contacts, tasks or notes folder, read with the
    folder's class (a 12.0+ request does not name it); None when it cannot be read so."""
    if isinstance(data, Element):
        try:
            data = parse_application_data(data, folder.class_)
        except ProtocolError:
            return None
    return data if isinstance(data, CalendarEvent | Contact | Task | Note) else None


def app_for(item: Item, version: str, options: object) -> ApplicationData:
    """What a Sync Add or Fetch carries for ``item``: mail rendered for the device's body
    preferences; other classes as stored (Notes only from 14.0, MS-ASNOTE)."""
    if isinstance(item, Message):
        return email_for(item, version, options)
    if isinstance(item.data, Note) and not version_at_least(version, "14.0"):
        return Element("AirSync:ApplicationData")
    return item.data


def _apply_client_commands(
    ctx: Context, folder: Folder, state: CollectionState, coll: SyncCollectionRequest
) -> list[SyncItemResponse]:
    """Apply the client's Add/Change/Delete/Fetch; per-item answers (MS-ASCMD 2.2.3.153)."""
    box = ctx.mailbox
    items = box.items(folder)
    out: list[SyncItemResponse] = []
    for cmd in coll.commands:
        if isinstance(cmd, ClientChange):
            msg = items.get(cmd.server_id)
            if msg is None:
                out.append(SyncItemResponse("Change", SyncStatus.ObjectNotFound, cmd.server_id))
                continue
            data = cmd.application_data
            if isinstance(msg, PimItem):
                pim = _pim_data(folder, data)
                if pim is None:
                    out.append(SyncItemResponse("Change", SyncStatus.ProtocolError, cmd.server_id))
                    continue
                box.change_message(folder, msg, data=pim)
            elif isinstance(data, Email) and data.read is not None:
                box.change_message(folder, msg, read=data.read)
            else:
                box.change_message(folder, msg)
            # The device made this change: do not echo it back to it.
            state.known[msg.server_id] = msg.modseq
        elif isinstance(cmd, ClientDelete):
            if not box.delete_message(folder, cmd.server_id):
                out.append(SyncItemResponse("Delete", SyncStatus.ObjectNotFound, cmd.server_id))
            state.known.pop(cmd.server_id, None)
        elif isinstance(cmd, ClientAdd) and folder.class_ != "Email":
            pim = _pim_data(folder, cmd.application_data)
            if pim is None:
                out.append(
                    SyncItemResponse("Add", SyncStatus.ProtocolError, client_id=cmd.client_id)
                )
                continue
            item = box.add_message(folder, PimItem(folder.next_server_id(), pim))
            state.known[item.server_id] = item.modseq
            if isinstance(pim, CalendarEvent) and pim.attendees:
                invite(ctx.state.store, ctx.user, pim)  # MS-ASCAL: the attendees get a request
            out.append(
                SyncItemResponse(
                    "Add", SyncStatus.Success, server_id=item.server_id, client_id=cmd.client_id
                )
            )
        elif isinstance(cmd, ClientAdd):
            data = cmd.application_data
            email = data if isinstance(data, Email) else Email()
            msg = Message(
                server_id=folder.next_server_id(),
                subject=email.subject or "",
                sender=email.from_ or formataddr((ctx.user.name, ctx.user.address)),
                to=email.to or "",
                date=BASE_TIME,
                body_text=(email.body.data if email.body and email.body.data else ""),
                body_html="",
                read=bool(email.read),
            )
            box.add_message(folder, msg)
            state.known[msg.server_id] = msg.modseq
            out.append(
                SyncItemResponse(
                    "Add", SyncStatus.Success, server_id=msg.server_id, client_id=cmd.client_id
                )
            )
        elif isinstance(cmd, ClientFetch):
            msg = items.get(cmd.server_id)
            if msg is None:
                out.append(SyncItemResponse("Fetch", SyncStatus.ObjectNotFound, cmd.server_id))
            else:
                app = app_for(msg, ctx.version, state.options)
                out.append(
                    SyncItemResponse(
                        "Fetch", SyncStatus.Success, server_id=msg.server_id, application_data=app
                    )
                )
    return out


def sync_collection(
    ctx: Context, coll: SyncCollectionRequest, request_window: int | None
) -> SyncCollectionResponse:
    """One collection of a Sync: SyncKey check, client commands, then a window of changes."""
    box, device = ctx.mailbox, ctx.device
    cid = coll.collection_id
    folder = box.folder(cid)
    if folder is None:
        # An unknown CollectionId: the hierarchy changed under the client (MS-ASCMD 2.2.3.177.17).
        return SyncCollectionResponse(cid, SyncStatus.FolderHierarchyChanged, coll.sync_key)
    quirks = ctx.state.personality.quirks
    if Quirk.SYNC_NEEDS_FOLDERSYNC in quirks and device.hierarchy_key is None:
        # SOGo: a device that has not run FolderSync gets "hierarchy changed" (Status 12).
        return SyncCollectionResponse(cid, SyncStatus.FolderHierarchyChanged, coll.sync_key)
    state = device.collections.get(cid)
    if coll.sync_key == INITIAL_SYNC_KEY:
        state = device.collections[cid] = CollectionState()
        if coll.options:
            state.options = coll.options[0]
        # The first Sync of a collection only hands out a key (MS-ASCMD 2.2.1.21).
        return SyncCollectionResponse(cid, SyncStatus.Success, state.sync_key, class_=folder.class_)
    if state is None:
        return SyncCollectionResponse(cid, SyncStatus.InvalidSyncKey, INITIAL_SYNC_KEY)
    if coll.sync_key == state.last_request_key and state.last_answer is not None:
        # The client did not get our last answer and asks again: answer the same.
        return state.last_answer
    if coll.sync_key != state.sync_key:
        if Quirk.UNKNOWN_SYNCKEY_STATUS1 in quirks:
            # SOGo: a key it never issued is taken at its word: Status 1 and nothing, the same
            # key back, so a device that lost its key silently stops getting mail.
            return SyncCollectionResponse(
                cid, SyncStatus.Success, coll.sync_key, class_=folder.class_
            )
        return SyncCollectionResponse(cid, SyncStatus.InvalidSyncKey, INITIAL_SYNC_KEY)
    state.confirmed_modseq = state.issued_modseq  # the device has the last answer
    if coll.options:
        state.options = coll.options[0]
    if coll.window_size:
        state.window_size = coll.window_size
    request_key = state.sync_key
    responses = _apply_client_commands(ctx, folder, state, coll)
    commands: list = []
    more = False
    get_changes = True if coll.get_changes is None else coll.get_changes
    if get_changes:
        window = _window(coll.window_size, request_window, state.window_size)
        diff = state.diff(box, folder)
        pending: list = (
            [("delete", sid) for sid in diff.deletes]
            + [("add", m) for m in diff.adds]
            + [("change", m) for m in diff.changes]
        )
        more = len(pending) > window
        for kind, item in pending[:window]:
            if kind == "delete":
                commands.append(SyncDelete(item))
                state.known.pop(item, None)
            elif kind == "add":
                commands.append(
                    SyncAdd(item.server_id, app_for(item, ctx.version, state.options))
                )
                state.known[item.server_id] = item.modseq
            else:
                change = change_for(item) if isinstance(item, Message) else item.data
                commands.append(SyncChange(item.server_id, change))
                state.known[item.server_id] = item.modseq
        state.synced_modseq = -1 if more else folder.modseq
    new_key = state.advance()
    state.issued_modseq = state.synced_modseq
    answer = SyncCollectionResponse(
        cid,
        SyncStatus.Success,
        new_key,
        more_available=more,
        commands=tuple(commands),
        responses=tuple(responses),
        class_=folder.class_,
    )
    state.last_request_key = request_key
    state.last_answer = answer
    return answer


def _has_pending(ctx: Context, request: SyncRequest) -> bool:
    for coll in request.collections:
        folder = ctx.mailbox.folder(coll.collection_id)
        state = ctx.device.collections.get(coll.collection_id)
        if folder is None or state is None or coll.sync_key != state.sync_key:
            return True  # an error answer is due at once
        if coll.commands or state.has_changes(ctx.mailbox, folder):
            return True
    return False


async def handle_sync(ctx: Context) -> Answer:
    """Sync (MS-ASCMD 2.2.1.21), with Wait/HeartbeatInterval holding and the empty Sync (12.1+:
    an empty request repeats the device's last full one)."""
    parsed = SyncRequest.from_element(ctx.element) if ctx.element is not None else SyncRequest()
    request = parsed if parsed.collections else ctx.device.last_sync_request
    if request is None:
        status = SyncStatus.IncompleteRequest
        return Answer(element=SyncResponse(status=status).to_element(ctx.version))
    ctx.device.last_sync_request = request
    if Quirk.MALFORMED_SYNCKEY_501 in ctx.state.personality.quirks and any(
        not _WELL_FORMED_KEY.fullmatch(c.sync_key or "") for c in request.collections
    ):
        return Answer(status_code=501)  # SOGo: a SyncKey it cannot parse
    hold = None
    if parsed.wait is not None:
        if not 1 <= parsed.wait <= 59:  # minutes (MS-ASCMD 2.2.3.195)
            return _limit_answer(ctx, 1 if parsed.wait < 1 else 59)
        hold = parsed.wait * 60
    elif parsed.heartbeat_interval is not None:
        bound = ctx.state.personality.check_heartbeat(parsed.heartbeat_interval)
        if bound is not None:
            return _limit_answer(ctx, bound)
        hold = parsed.heartbeat_interval
    if hold and not _has_pending(ctx, request):
        folders = [
            f
            for f in (ctx.mailbox.folder(c.collection_id) for c in request.collections)
            if f is not None
        ]
        changed = await wait_for_changes(ctx, folders, hold, lambda: _has_pending(ctx, request))
        if not changed:
            return Answer()  # an empty 200: nothing changed (MS-ASCMD 2.2.1.21)
    collections = tuple(sync_collection(ctx, c, request.window_size) for c in request.collections)
    return Answer(element=SyncResponse(collections=collections).to_element(ctx.version))


def _limit_answer(ctx: Context, limit: int) -> Answer:
    """Status 14 with the allowed bound in Limit (MS-ASCMD 2.2.3.90)."""
    response = SyncResponse(status=SyncStatus.InvalidWaitOrHeartbeatInterval, limit=limit)
    return Answer(element=response.to_element(ctx.version))


async def handle_get_item_estimate(ctx: Context) -> Answer:
    """GetItemEstimate (MS-ASCMD 2.2.1.9): how many changes a Sync would return now."""
    request = GetItemEstimateRequest.from_element(ctx.body)
    results = []
    for coll in request.collections:
        cid = coll.collection_id
        folder = ctx.mailbox.folder(cid)
        state = ctx.device.collections.get(cid)
        if folder is None:
            results.append(EstimateResult(GetItemEstimateStatus.InvalidCollection, cid))
        elif state is None or coll.sync_key in (None, INITIAL_SYNC_KEY):
            results.append(EstimateResult(GetItemEstimateStatus.SyncStateNotPrimed, cid))
        elif coll.sync_key != state.sync_key:
            results.append(EstimateResult(GetItemEstimateStatus.InvalidSyncKey, cid))
        else:
            count = len(state.diff(ctx.mailbox, folder))
            results.append(EstimateResult(GetItemEstimateStatus.Success, cid, count))
    return Answer(element=GetItemEstimateResponse(tuple(results)).to_element(ctx.version))
