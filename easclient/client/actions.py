"""What a device does besides syncing: send, reply, forward, move, manage folders, answer
meetings and search (MS-ASCMD 2.2.1.x). Each function drives one command through an
:class:`~easclient.client.EasClient` and returns the typed answer; hierarchy changes are written
to the device state at once, with the new FolderSync key, as a real device does.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from easclient.protocol import ProtocolError
from easclient.protocol.find import FindRequest, FindResponse
from easclient.protocol.foldercommands import (
    FolderCreateRequest,
    FolderCreateResponse,
    FolderDeleteRequest,
    FolderDeleteResponse,
    FolderUpdateRequest,
    FolderUpdateResponse,
)
from easclient.protocol.foldersync import FolderType, folder_class
from easclient.protocol.itemoperations import (
    FetchRequest,
    FetchResult,
    ItemOperationsRequest,
    ItemOperationsResponse,
)
from easclient.protocol.meetingresponse import (
    MeetingAnswer,
    MeetingResponseRequest,
    MeetingResponseResponse,
)
from easclient.protocol.moveitems import Move, MoveItemsRequest, MoveItemsResponse
from easclient.protocol.search import SearchRequest, SearchResponse
from easclient.protocol.sendmail import SendMailRequest, SendMailResponse
from easclient.protocol.smartmail import SmartKind, SmartMailRequest, SmartMailResponse, SmartSource
from easclient.protocol.status import FolderSyncStatus, SyncStatus
from easclient.protocol.sync import (
    BodyPreference,
    ClientAdd,
    ClientChange,
    ClientCommand,
    ClientDelete,
    ContentItem,
    SyncCollectionRequest,
    SyncItemResponse,
    SyncRequest,
    parse_sync_body,
)

from .device import EasClient, item_digest
from .state import Folder, ItemUpdate, StoredItem

__all__ = [
    "add_item",
    "change_item",
    "create_folder",
    "delete_folder",
    "delete_item",
    "fetch",
    "find",
    "forward",
    "meeting_response",
    "move_items",
    "rename_folder",
    "reply",
    "search",
    "send_mail",
]


def _client_id() -> str:
    return uuid.uuid4().hex


def send_mail(client: EasClient, mime: bytes, *, save_in_sent: bool = True) -> SendMailResponse:
    """SendMail (MS-ASCMD 2.2.1.17) in the form the protocol version takes."""
    request = SendMailRequest(mime, _client_id(), save_in_sent_items=save_in_sent)
    body, params = request.body_and_params(client.version)
    return SendMailResponse.from_element(client.execute("SendMail", body, params=params))


def _smart(
    client: EasClient,
    kind: SmartKind,
    source: SmartSource,
    mime: bytes,
    save_in_sent: bool,
    replace_mime: bool,
) -> SmartMailResponse:
    request = SmartMailRequest(
        kind,
        source,
        mime,
        client_id=_client_id(),
        save_in_sent_items=save_in_sent,
        replace_mime=replace_mime,
    )
    body, params = request.body_and_params(client.version)
    answer = client.execute(kind.value, body, params=params)
    return SmartMailResponse.from_element(kind, answer)


def reply(
    client: EasClient,
    source: SmartSource,
    mime: bytes,
    *,
    save_in_sent: bool = True,
    replace_mime: bool = False,
) -> SmartMailResponse:
    """SmartReply (MS-ASCMD 2.2.1.20): send ``mime`` (the new part) as a reply to ``source``;
    the server quotes the original."""
    return _smart(client, SmartKind.Reply, source, mime, save_in_sent, replace_mime)


def forward(
    client: EasClient,
    source: SmartSource,
    mime: bytes,
    *,
    save_in_sent: bool = True,
    replace_mime: bool = False,
) -> SmartMailResponse:
    """SmartForward (MS-ASCMD 2.2.1.19): forward ``source`` with ``mime`` as the new part."""
    return _smart(client, SmartKind.Forward, source, mime, save_in_sent, replace_mime)


def move_items(client: EasClient, moves: Sequence[Move]) -> MoveItemsResponse:
    """MoveItems (MS-ASCMD 2.2.1.12); each result's ``dst_msg_id`` is the item's new id."""
    el = client.execute("MoveItems", MoveItemsRequest(tuple(moves)).to_element(client.version))
    if el is None:
        raise ProtocolError("MoveItems: empty response body (a Response per Move is required)")
    return MoveItemsResponse.from_element(el)


def _hierarchy_key(client: EasClient) -> str:
    """The current FolderSync key; a device that never synced its hierarchy does so first."""
    if client.state.folder_sync_key == "0":
        client.folder_sync()
    return client.state.folder_sync_key


def create_folder(
    client: EasClient, name: str, *, parent_id: str = "0", type: FolderType | int = 12
) -> FolderCreateResponse:
    """FolderCreate (MS-ASCMD 2.2.1.3); on success the folder is in the device state."""
    for _attempt in range(2):
        key = _hierarchy_key(client)
        request = FolderCreateRequest(key, parent_id, name, type)
        el = client.execute("FolderCreate", request.to_element(client.version))
        if el is None:
            raise ProtocolError("FolderCreate: empty response body")
        answer = FolderCreateResponse.from_element(el)
        if answer.status == FolderSyncStatus.InvalidSyncKey and _attempt == 0:
            client.folder_sync()  # the hierarchy moved on elsewhere: catch up, then retry once
            continue
        if answer.ok and answer.sync_key and answer.server_id:
            folder = Folder(answer.server_id, parent_id, name, int(request.type))
            client.state.apply_folder_sync(
                answer.sync_key, adds=[folder], updates=[], deletes=[], expected_sync_key=key
            )
        return answer
    raise AssertionError("unreachable")  # pragma: no cover


def rename_folder(
    client: EasClient, server_id: str, name: str, *, parent_id: str | None = None
) -> FolderUpdateResponse:
    """FolderUpdate (MS-ASCMD 2.2.1.6): rename (and with ``parent_id`` move) a folder."""
    key = _hierarchy_key(client)
    current = next((f for f in client.state.folders() if f.server_id == server_id), None)
    parent = parent_id if parent_id is not None else (current.parent_id if current else "0")
    request = FolderUpdateRequest(key, server_id, parent, name)
    el = client.execute("FolderUpdate", request.to_element(client.version))
    if el is None:
        raise ProtocolError("FolderUpdate: empty response body")
    answer = FolderUpdateResponse.from_element(el)
    if answer.ok and answer.sync_key:
        folder = Folder(server_id, parent, name, current.type if current else 12)
        client.state.apply_folder_sync(
            answer.sync_key, adds=[], updates=[folder], deletes=[], expected_sync_key=key
        )
    return answer


def delete_folder(client: EasClient, server_id: str) -> FolderDeleteResponse:
    """FolderDelete (MS-ASCMD 2.2.1.4); on success the folder leaves the device state."""
    key = _hierarchy_key(client)
    el = client.execute(
        "FolderDelete", FolderDeleteRequest(key, server_id).to_element(client.version)
    )
    if el is None:
        raise ProtocolError("FolderDelete: empty response body")
    answer = FolderDeleteResponse.from_element(el)
    if answer.ok and answer.sync_key:
        client.state.apply_folder_sync(
            answer.sync_key, adds=[], updates=[], deletes=[server_id], expected_sync_key=key
        )
    return answer


def search(client: EasClient, request: SearchRequest) -> SearchResponse:
    """Search (MS-ASCMD 2.2.1.16): the mailbox or the GAL, one page (``request.range``)."""
    el = client.execute("Search", request.to_element(client.version))
    if el is None:
        raise ProtocolError("Search: empty response body")
    return SearchResponse.from_element(el)


def find(client: EasClient, request: FindRequest) -> FindResponse:
    """Find (MS-ASCMD 2.2.1.2): Search's successor at 16.1 (Exchange Online)."""
    el = client.execute("Find", request.to_element(client.version))
    if el is None:
        raise ProtocolError("Find: empty response body")
    return FindResponse.from_element(el)


def meeting_response(
    client: EasClient, answers: Sequence[MeetingAnswer]
) -> MeetingResponseResponse:
    """MeetingResponse (MS-ASCMD 2.2.1.11): accept, tentatively accept or decline."""
    request = MeetingResponseRequest(tuple(answers))
    el = client.execute("MeetingResponse", request.to_element(client.version))
    if el is None:
        raise ProtocolError("MeetingResponse: empty response body")
    return MeetingResponseResponse.from_element(el)


def fetch(
    client: EasClient,
    collection_id: str | None = None,
    server_id: str | None = None,
    *,
    long_id: str | None = None,
    body_type: int = 4,
) -> FetchResult:
    """Open one item (ItemOperations Fetch, MS-ASCMD 2.2.1.10) with its body as ``body_type``
    (1 text, 2 HTML, 4 MIME); the result's ``item.body.data`` holds it."""
    request = ItemOperationsRequest(
        fetches=(
            FetchRequest(
                collection_id,
                server_id,
                long_id=long_id,
                body_preferences=(BodyPreference(body_type),),
            ),
        )
    )
    el = client.execute("ItemOperations", request.to_element(client.version))
    if el is None:
        raise ProtocolError("ItemOperations: empty response body")
    response = ItemOperationsResponse.from_element(el)
    if not response.fetches:
        raise ProtocolError("ItemOperations: no Fetch in the response")
    return response.fetches[0]


# -- device-side changes in Sync (MS-ASCMD 2.2.1.21: Add, Change, Delete in Commands) -----------
def _folder(client: EasClient, folder_id: str) -> Folder:
    found = next((f for f in client.state.folders() if f.server_id == folder_id), None)
    if found is None:
        client.folder_sync()
        found = next((f for f in client.state.folders() if f.server_id == folder_id), None)
    if found is None:
        raise ProtocolError(f"no folder {folder_id!r} in the hierarchy")
    return found


def _send_changes(
    client: EasClient, folder_id: str, command: ClientCommand
) -> tuple[str, str, SyncItemResponse | None]:
    """One client command in a Sync that asks for no server changes (GetChanges 0), on the
    collection's current SyncKey (primed first when new); returns (the key sent, the new key,
    the command's answer: None when the server sent none, which means success)."""
    folder = _folder(client, folder_id)
    class_ = folder_class(folder.type) or "Email"
    if client.state.sync_key(folder_id) == "0":
        client.sync_collection(folder)
    key = client.state.sync_key(folder_id)
    request = SyncRequest(
        collections=(
            SyncCollectionRequest(
                key, folder_id, get_changes=False, commands=(command,), class_=class_
            ),
        )
    )
    el = client.execute("Sync", request.to_element(client.version))
    answer = parse_sync_body(el, {folder_id: class_}).collection(folder_id)
    if answer is None or answer.sync_key is None or answer.status != SyncStatus.Success:
        status = "no Collection" if answer is None else f"status {int(answer.status)}"
        raise ProtocolError(f"Sync of a client change to {folder_id}: {status}")
    response = answer.responses[0] if answer.responses else None
    return key, answer.sync_key, response


def add_item(client: EasClient, folder_id: str, item: ContentItem) -> str:
    """Add ``item`` (a contact, meeting, task, note or mail) to a folder from the device;
    returns the ServerId the server gave it (MS-ASCMD 2.2.3.7.2, ClientId → ServerId)."""
    key, new_key, response = _send_changes(client, folder_id, ClientAdd(_client_id(), item))
    if response is None or response.server_id is None or int(response.status) != 1:
        status = "no answer" if response is None else f"status {int(response.status)}"
        raise ProtocolError(f"the server did not take the new item ({status})")
    stored = StoredItem(
        response.server_id,
        folder_class(_folder(client, folder_id).type),
        getattr(item, "subject", None) or getattr(item, "file_as", None),
        digest=item_digest(item, client.version),
    )
    client.state.apply_sync(folder_id, new_key, expected_sync_key=key, adds=[stored])
    return response.server_id


def change_item(client: EasClient, folder_id: str, server_id: str, item: ContentItem) -> None:
    """Replace an item's fields from the device (MS-ASCMD 2.2.3.24)."""
    key, new_key, response = _send_changes(client, folder_id, ClientChange(server_id, item))
    if response is not None and int(response.status) != 1:  # no Responses entry is success
        raise ProtocolError(f"the server refused the change to {server_id}: status "
                            f"{int(response.status)}")  # fmt: skip
    update = ItemUpdate(server_id, digest=item_digest(item, client.version))
    client.state.apply_sync(folder_id, new_key, expected_sync_key=key, changes=[update])


def delete_item(client: EasClient, folder_id: str, server_id: str) -> None:
    """Delete an item from the device (MS-ASCMD 2.2.3.42.2)."""
    key, new_key, response = _send_changes(client, folder_id, ClientDelete(server_id))
    if response is not None and int(response.status) != 1:
        raise ProtocolError(f"the server refused to delete {server_id}: status "
                            f"{int(response.status)}")  # fmt: skip
    client.state.apply_sync(folder_id, new_key, expected_sync_key=key, deletes=[server_id])
