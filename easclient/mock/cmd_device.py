"""The commands a whole device sends beyond sync, server side: MoveItems, FolderCreate,
FolderUpdate, FolderDelete, SmartReply, SmartForward, Search and MeetingResponse
(MS-ASCMD 2.2.1.x). Every id is looked up within the requesting user's own mailbox."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from easclient.protocol.find import FindRequest, FindResponse, FindResult
from easclient.protocol.foldercommands import (
    FolderCreateRequest,
    FolderCreateResponse,
    FolderDeleteRequest,
    FolderDeleteResponse,
    FolderUpdateRequest,
    FolderUpdateResponse,
)
from easclient.protocol.meetingresponse import (
    MeetingResponseRequest,
    MeetingResponseResponse,
)
from easclient.protocol.moveitems import MoveItemsRequest, MoveItemsResponse, MoveResult
from easclient.protocol.search import (
    MailboxQuery,
    SearchRequest,
    SearchResponse,
    SearchResult,
    SearchStore,
)
from easclient.protocol.smartmail import SmartKind, SmartMailRequest, SmartMailResponse
from easclient.protocol.status import (
    CommonStatus,
    FindStatus,
    FolderSyncStatus,
    MoveItemsStatus,
    SearchStatus,
)
from easclient.protocol.sync import BodyPreference
from easclient.protocol.versions import version_at_least
from easclient.wbxml import Element, ns

from .cmd_items import deliver_mime
from .context import Answer, Context, StatusAnswer
from .mailbox import Message
from .meetings import respond
from .render import email_for

GAL = ns("GAL")
S = ns("Search")
#: The most results one Search answers with, whatever Range asks (Exchange caps at 100).
MAX_RESULTS = 100


# -- MoveItems (MS-ASCMD 2.2.1.12) ----------------------------------------------------------------
async def handle_move_items(ctx: Context) -> Answer:
    request = MoveItemsRequest.from_element(_element(ctx))
    box = ctx.mailbox
    results = []
    for move in request.moves:
        source = box.folder(move.src_fld_id)
        destination = box.folder(move.dst_fld_id)
        if source is None or box.find_item(move.src_msg_id) is None:
            results.append(MoveResult(move.src_msg_id, MoveItemsStatus.InvalidSourceId))
        elif destination is None or destination.class_ != source.class_:
            results.append(MoveResult(move.src_msg_id, MoveItemsStatus.InvalidDestinationId))
        elif destination is source:
            results.append(MoveResult(move.src_msg_id, MoveItemsStatus.SameSourceAndDestination))
        else:
            moved = box.move_message(move.src_msg_id, destination)
            assert moved is not None  # found above
            results.append(MoveResult(move.src_msg_id, MoveItemsStatus.Success, moved.server_id))
    return Answer(element=MoveItemsResponse(tuple(results)).to_element(ctx.version))


# -- FolderCreate / FolderUpdate / FolderDelete (MS-ASCMD 2.2.1.3, .6, .4) ------------------------
def _stale(ctx: Context, sync_key: str) -> bool:
    """A hierarchy change must name the device's current FolderSync key (else Status 9)."""
    return sync_key != ctx.device.hierarchy_key


def _advance(ctx: Context, before: dict[str, tuple[str, str, int]]) -> str:
    """The device's new FolderSync key. It now knows its own change (what differs from
    ``before``), so its next FolderSync does not send it back, but still learns there of
    changes other devices made."""
    after = ctx.mailbox.hierarchy()
    known = dict(ctx.device.known_folders)
    for sid in before.keys() | after.keys():
        if before.get(sid) != after.get(sid):
            if sid in after:
                known[sid] = after[sid]
            else:
                known.pop(sid, None)
    return ctx.device.advance_hierarchy(known)


async def handle_folder_create(ctx: Context) -> Answer:
    request = FolderCreateRequest.from_element(_element(ctx))
    if _stale(ctx, request.sync_key):
        answer = FolderCreateResponse(FolderSyncStatus.InvalidSyncKey)
    else:
        before = ctx.mailbox.hierarchy()
        made = ctx.mailbox.create_folder(request.parent_id, request.display_name, int(request.type))
        if isinstance(made, int):
            answer = FolderCreateResponse(made)
        else:
            key = _advance(ctx, before)
            answer = FolderCreateResponse(FolderSyncStatus.Success, key, made.server_id)
    return Answer(element=answer.to_element(ctx.version))


async def handle_folder_update(ctx: Context) -> Answer:
    request = FolderUpdateRequest.from_element(_element(ctx))
    if _stale(ctx, request.sync_key):
        answer = FolderUpdateResponse(FolderSyncStatus.InvalidSyncKey)
    else:
        before = ctx.mailbox.hierarchy()
        code = ctx.mailbox.update_folder(request.server_id, request.parent_id, request.display_name)
        answer = FolderUpdateResponse(code, _advance(ctx, before) if code == 1 else None)
    return Answer(element=answer.to_element(ctx.version))


async def handle_folder_delete(ctx: Context) -> Answer:
    request = FolderDeleteRequest.from_element(_element(ctx))
    if _stale(ctx, request.sync_key):
        answer = FolderDeleteResponse(FolderSyncStatus.InvalidSyncKey)
    else:
        before = ctx.mailbox.hierarchy()
        code = ctx.mailbox.delete_folder(request.server_id)
        answer = FolderDeleteResponse(code, _advance(ctx, before) if code == 1 else None)
    return Answer(element=answer.to_element(ctx.version))


# -- SmartReply / SmartForward (MS-ASCMD 2.2.1.20, 2.2.1.19) ---------------------------------------
def _smart_request(ctx: Context, kind: SmartKind) -> SmartMailRequest:
    if version_at_least(ctx.version, "14.0"):
        return SmartMailRequest.from_element(_element(ctx))
    params = ctx.request.query.params if ctx.request.query is not None else {}
    return SmartMailRequest.from_legacy(kind, ctx.request.body, params)


def _original(ctx: Context, request: SmartMailRequest) -> Message:
    source = request.source
    item_id = source.long_id or source.item_id or ""
    found = ctx.mailbox.find_message(item_id)
    if found is None or (source.folder_id and found[0].server_id != source.folder_id):
        raise StatusAnswer(CommonStatus.ItemNotFound)
    return found[1]


def compose_smart(kind: SmartKind, new_mime: bytes, original: Message) -> bytes:
    """What the server sends: the device's new part, then the original quoted (reply) or
    quoted and attached as message/rfc822 (forward)."""
    try:
        new = BytesParser(policy=policy.default).parsebytes(new_mime)
        part = new.get_body(preferencelist=("plain",))
        text = part.get_content() if part is not None else ""
    except (ValueError, TypeError, LookupError) as e:
        raise StatusAnswer(CommonStatus.InvalidMIME) from e
    out = EmailMessage()
    for name in ("From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To", "References"):
        for value in new.get_all(name, []):
            out[name] = str(value)
    if kind is SmartKind.Reply:
        quoted = "\n".join(f"> {line}" for line in original.body_text.splitlines())
        body = f"{text.rstrip()}\n\nOn {original.date:%Y-%m-%d %H:%M}, {original.sender} wrote:\n"
        out.set_content(body + quoted + "\n")
    else:
        header = (
            "---------- Forwarded message ----------\n"
            f"From: {original.sender}\nSubject: {original.subject}\n\n"
        )
        out.set_content(f"{text.rstrip()}\n\n{header}{original.body_text}\n")
        out.add_attachment(original.mime_bytes(), maintype="message", subtype="rfc822")
    return out.as_bytes()


async def _handle_smart(ctx: Context, kind: SmartKind) -> Answer:
    request = _smart_request(ctx, kind)
    original = _original(ctx, request)
    mime = request.mime if request.replace_mime else compose_smart(kind, request.mime, original)
    refused = deliver_mime(ctx, mime, save_in_sent=request.save_in_sent_items)
    return refused or Answer(element=SmartMailResponse(kind).to_element(ctx.version))


async def handle_smart_reply(ctx: Context) -> Answer:
    return await _handle_smart(ctx, SmartKind.Reply)


async def handle_smart_forward(ctx: Context) -> Answer:
    return await _handle_smart(ctx, SmartKind.Forward)


# -- Search (MS-ASCMD 2.2.1.16) --------------------------------------------------------------------
def _mailbox_matches(ctx: Context, query: MailboxQuery) -> list[tuple[str, Message]]:
    box = ctx.mailbox
    needle = query.free_text.casefold()
    folders = (
        [f for f in (box.folder(query.collection_id),) if f is not None]
        if query.collection_id
        else list(box.mail_folders())
    )
    found = [
        (folder.server_id, msg)
        for folder in folders
        for msg in box.items(folder).values()
        if isinstance(msg, Message)
        and (needle in msg.subject.casefold() or needle in msg.body_text.casefold())
    ]
    found.sort(key=lambda pair: pair[1].date, reverse=True)
    return found


def _window(request: SearchRequest, total: int) -> tuple[int, int]:
    start, end = request.range or (0, MAX_RESULTS - 1)
    end = min(end, start + MAX_RESULTS - 1, max(total - 1, start))
    return start, end


def _mailbox_results(ctx: Context, request: SearchRequest) -> tuple[list[SearchResult], int]:
    assert isinstance(request.query, MailboxQuery)
    matches = _mailbox_matches(ctx, request.query)
    start, end = _window(request, len(matches))
    prefs = _Prefs(request.body_preferences)
    results = [
        SearchResult(
            Element(
                "Search:Properties", *email_for(msg, ctx.version, prefs).to_children(ctx.version)
            ),
            long_id=msg.server_id,
            collection_id=cid,
            class_="Email",
        )
        for cid, msg in matches[start : end + 1]
    ]
    return results, len(matches)


def _gal_results(ctx: Context, request: SearchRequest) -> tuple[list[SearchResult], int]:
    """Users whose login name or address starts with the query (the mock's whole GAL)."""
    needle = str(request.query).casefold()
    people = sorted(
        (
            u
            for u in ctx.state.store.users
            if needle
            and (u.name.casefold().startswith(needle) or u.address.casefold().startswith(needle))
        ),
        key=lambda u: u.name.casefold(),
    )
    start, end = _window(request, len(people))
    results = [
        SearchResult(
            S.Properties(GAL.DisplayName(u.name), GAL.Alias(u.name), GAL.EmailAddress(u.address))
        )
        for u in people[start : end + 1]
    ]
    return results, len(people)


async def handle_search(ctx: Context) -> Answer:
    request = SearchRequest.from_element(_element(ctx))
    if request.store is SearchStore.Mailbox:
        results, total = _mailbox_results(ctx, request)
    elif request.store is SearchStore.GAL:
        results, total = _gal_results(ctx, request)
    else:  # no document library here (MS-ASCMD 2.2.3.177.13: 2 for a store the server lacks)
        answer = SearchResponse(SearchStatus.Success, SearchStatus.InvalidRequest)
        return Answer(element=answer.to_element(ctx.version))
    start = (request.range or (0, 0))[0]
    answer = SearchResponse(
        SearchStatus.Success,
        SearchStatus.Success,
        tuple(results),
        (start, start + len(results) - 1) if results else None,
        total,
    )
    return Answer(element=answer.to_element(ctx.version))


async def handle_find(ctx: Context) -> Answer:
    """Find (MS-ASCMD 2.2.1.2, 16.1): the same matching as Search; a range must start at 0
    (Status 4 otherwise, MS-ASCMD 2.2.3.177.2)."""
    request = FindRequest.from_element(_element(ctx))
    if request.range[0] != 0:
        return Answer(element=FindResponse(FindStatus.StartOfRangeNotZero).to_element(ctx.version))
    if request.gal:
        search = SearchRequest(SearchStore.GAL, request.free_text, range=request.range)
        found, total = _gal_results(ctx, search)
    else:
        query = MailboxQuery(request.free_text, request.collection_id)
        search = SearchRequest(SearchStore.Mailbox, query, range=request.range)
        found, total = _mailbox_results(ctx, search)
    results = tuple(
        FindResult(
            r.long_id,
            r.collection_id,
            r.class_,
            None if r.properties is None else Element("Find:Properties", *r.properties.children),
        )
        for r in found
    )
    answer = FindResponse(
        FindStatus.Success,
        FindStatus.Success,
        results,
        (0, len(results) - 1) if results else None,
        total,
        store="GAL" if request.gal else "Mailbox",
    )
    return Answer(element=answer.to_element(ctx.version))


class _Prefs:
    """What :func:`email_for` reads from a Sync's options: the body preferences."""

    def __init__(self, preferences: tuple[BodyPreference, ...]) -> None:
        self.body_preferences = preferences


# -- MeetingResponse (MS-ASCMD 2.2.1.11) -----------------------------------------------------------
async def handle_meeting_response(ctx: Context) -> Answer:
    """Answers to invitations another user's device sent (easclient.mock.meetings); any other
    item is Status 2, not a meeting request."""
    request = MeetingResponseRequest.from_element(_element(ctx))
    results = tuple(
        respond(ctx.state.store, ctx.user, a.request_id or a.long_id or "", a.user_response)
        for a in request.answers
    )
    return Answer(element=MeetingResponseResponse(results).to_element(ctx.version))


def _element(ctx: Context) -> Element:
    if ctx.element is None:
        raise StatusAnswer(CommonStatus.InvalidContent)
    return ctx.element


HANDLERS = {
    "MoveItems": handle_move_items,
    "FolderCreate": handle_folder_create,
    "FolderUpdate": handle_folder_update,
    "FolderDelete": handle_folder_delete,
    "SmartReply": handle_smart_reply,
    "SmartForward": handle_smart_forward,
    "Search": handle_search,
    "Find": handle_find,
    "MeetingResponse": handle_meeting_response,
}
