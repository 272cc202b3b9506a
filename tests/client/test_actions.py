"""A whole device's commands against the mock over real HTTP: folder create/rename/delete seen
by a second device of the user, MoveItems, SmartReply/SmartForward landing in the recipient's
Inbox with the original quoted, Search (mailbox and GAL) and MeetingResponse."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from easclient.client import actions
from easclient.protocol.meetingresponse import MeetingAnswer, UserResponse
from easclient.protocol.moveitems import Move
from easclient.protocol.search import MailboxQuery, SearchRequest, SearchStore
from easclient.protocol.smartmail import SmartSource
from easclient.protocol.status import FolderSyncStatus, MoveItemsStatus, SearchStatus

from .test_e2e_mock import device  # noqa: F401  (the client factory fixture)

INBOX = "2"


def _mime(sender: str, to: str, subject: str, text: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg.set_content(text)
    return msg.as_bytes()


def _names(client) -> dict[str, str]:
    return {f.server_id: f.display_name for f in client.state.folders()}


def test_folder_changes_reach_the_users_other_device(device):  # noqa: F811
    phone, tablet = device("iphone"), device("android")
    phone.folder_sync()
    tablet.folder_sync()
    made = actions.create_folder(phone, "Trips 2026", parent_id=INBOX)
    assert made.ok and made.server_id
    assert _names(phone)[made.server_id] == "Trips 2026"
    assert phone.folder_sync() == (0, 0)  # its own change is not sent back to it
    assert tablet.folder_sync() == (1, 0)
    assert _names(tablet)[made.server_id] == "Trips 2026"

    renamed = actions.rename_folder(phone, made.server_id, "Trips")
    assert renamed.ok
    tablet.folder_sync()
    assert _names(tablet)[made.server_id] == "Trips"

    again = actions.create_folder(tablet, "Trips", parent_id=INBOX)
    assert again.status is FolderSyncStatus.FolderExists
    assert actions.delete_folder(phone, INBOX).status is FolderSyncStatus.SystemFolder
    assert actions.rename_folder(phone, INBOX, "Post").status is FolderSyncStatus.FolderExists
    gone = actions.delete_folder(phone, made.server_id)
    assert gone.ok and made.server_id not in _names(phone)
    assert tablet.folder_sync() == (0, 1)
    assert made.server_id not in _names(tablet)


def test_each_device_keeps_its_own_hierarchy_key(device):  # noqa: F811
    phone, tablet = device("iphone"), device("android")
    phone.folder_sync()
    tablet.folder_sync()
    assert actions.create_folder(phone, "A").ok
    # The tablet's key is still valid for it (the server keeps one key per device), and its
    # next FolderSync brings the phone's folder, not its own.
    assert actions.create_folder(tablet, "B").ok
    assert tablet.folder_sync() == (1, 0)
    assert {"A", "B"} <= set(_names(tablet).values())


def test_a_stale_hierarchy_key_is_caught_up_and_retried(device):  # noqa: F811
    phone = device("iphone")
    phone.folder_sync()
    phone.state.set_meta("folder_sync_key", "1.stale")  # as after an answer the device lost
    made = actions.create_folder(phone, "C")
    assert made.ok and "C" in _names(phone).values()


def test_move_items_between_folders(device, eas_mock_server):  # noqa: F811
    phone, tablet = device("iphone"), device("android")
    phone.sync_all_mail()
    tablet.sync_all_mail()
    first = phone.state.items(INBOX)[0].server_id
    result = actions.move_items(phone, [Move(first, INBOX, "11"), Move("2:999999", INBOX, "11")])
    assert result.results[0].status is MoveItemsStatus.Success and result.results[0].ok
    assert result.results[0].dst_msg_id.startswith("11:")
    assert result.results[1].status is MoveItemsStatus.InvalidSourceId
    report = tablet.sync_all_mail()
    by_name = {f.name: f for f in report.folders.values()}
    assert by_name["Inbox"].deleted == 1 and by_name["Projects"].added == 1


@pytest.mark.parametrize("profile", ["iphone", "windows-mobile"])  # 16.1 WBXML, 12.1 query form
def test_reply_and_forward_reach_the_recipient_with_the_original(device, eas_mock_server, profile):  # noqa: F811
    alice_user, bob_user = eas_mock_server.users[:2]
    alice, bob = device(profile, user=alice_user), device("android", user=bob_user)
    eas_mock_server.control.deliver(alice_user.name, subject="Quarterly numbers")
    alice.sync_all_mail()
    original = next(i for i in alice.state.items(INBOX) if i.subject == "Quarterly numbers")
    source = SmartSource(INBOX, original.server_id)
    reply = _mime(alice_user.address, bob_user.address, "Re: Quarterly numbers", "Looks good.")
    assert actions.reply(alice, source, reply).ok
    fwd = _mime(alice_user.address, bob_user.address, "Fwd: Quarterly numbers", "FYI")
    assert actions.forward(alice, source, fwd).ok

    bob.sync_all_mail()
    got = {i.subject: i for i in bob.state.items(INBOX)}
    assert {"Re: Quarterly numbers", "Fwd: Quarterly numbers"} <= set(got)
    fetched = _mime_of(bob, got["Re: Quarterly numbers"].server_id)
    text = fetched.get_body(preferencelist=("plain",)).get_content()
    assert text.startswith("Looks good.") and "\n> " in text and "wrote:" in text
    forwarded = _mime_of(bob, got["Fwd: Quarterly numbers"].server_id)
    kinds = [p.get_content_type() for p in forwarded.iter_attachments()]
    assert kinds == ["message/rfc822"]


def _mime_of(client, server_id: str):
    """The message as the recipient's device opens it (ItemOperations Fetch, MIME body)."""
    result = actions.fetch(client, INBOX, server_id, body_type=4)
    assert result.item is not None and result.item.body is not None
    data = result.item.body.data
    return BytesParser(policy=policy.default).parsebytes(
        data.encode() if isinstance(data, str) else data
    )


def test_reply_to_a_missing_item_is_status_150(device):  # noqa: F811
    phone = device("iphone")
    phone.sync_all_mail()
    with pytest.raises(Exception, match="150"):
        actions.reply(phone, SmartSource(INBOX, "2:424242"), _mime("a@x", "b@x", "Re", "x"))


def test_search_the_mailbox_and_the_gal(device, eas_mock_server):  # noqa: F811
    phone = device("iphone")
    phone.sync_all_mail()
    eas_mock_server.control.deliver(eas_mock_server.user.name, subject="Invoice 4711 due")
    found = actions.search(
        phone, SearchRequest(SearchStore.Mailbox, MailboxQuery("invoice 4711"), range=(0, 9))
    )
    assert found.ok and found.total == 1 and len(found.results) == 1
    hit = found.results[0]
    assert hit.collection_id == INBOX and hit.long_id and hit.class_ == "Email"
    assert hit.properties.findtext("Email:Subject") == "Invoice 4711 due"
    # A Search result's LongId is a valid SmartReply source.
    me, bob = eas_mock_server.user, eas_mock_server.users[1]
    reply = _mime(me.address, bob.address, "Re: Invoice", "Paid")
    assert actions.reply(phone, SmartSource(long_id=hit.long_id), reply).ok

    gal = actions.search(phone, SearchRequest(SearchStore.GAL, bob.name[:2], range=(0, 0)))
    assert gal.ok and gal.results[0].gal["EmailAddress"] == bob.address
    nothing = actions.search(phone, SearchRequest(SearchStore.GAL, "zzz-nobody"))
    assert nothing.ok and nothing.total == 0 and nothing.results == ()
    library = actions.search(phone, SearchRequest(SearchStore.DocumentLibrary, "x"))
    assert library.store_status is SearchStatus.InvalidRequest


def test_search_pages_through_results(device, eas_mock_server):  # noqa: F811
    phone = device("iphone")
    eas_mock_server.control.deliver(eas_mock_server.user.name, count=5, subject="Paging test")
    first = actions.search(
        phone, SearchRequest(SearchStore.Mailbox, MailboxQuery("paging test"), range=(0, 1))
    )
    assert first.total == 5 and first.range == (0, 1) and first.more
    last = actions.search(
        phone, SearchRequest(SearchStore.Mailbox, MailboxQuery("paging test"), range=(4, 9))
    )
    assert last.range == (4, 4) and not last.more and len(last.results) == 1


def test_meeting_response_to_a_plain_mail_is_status_2(device):  # noqa: F811
    phone = device("iphone")
    phone.sync_all_mail()
    item = phone.state.items(INBOX)[0].server_id
    answer = actions.meeting_response(
        phone, [MeetingAnswer(UserResponse.Accepted, item, INBOX)]
    )
    assert answer.results[0].request_id == item and not answer.results[0].ok


def test_find_on_a_16_1_device(device, eas_mock_server):  # noqa: F811
    from easclient.protocol.find import FindRequest

    phone = device("iphone")  # 16.1
    phone.sync_all_mail()
    eas_mock_server.control.deliver(eas_mock_server.user.name, subject="Quarterly budget")
    found = actions.find(phone, FindRequest("q1", "quarterly budget", range=(0, 4)))
    assert found.ok and found.total == 1
    assert found.results[0].properties.findtext("Email:Subject") == "Quarterly budget"
    late = actions.find(phone, FindRequest("q2", "x", range=(5, 9)))
    assert late.status == 4 and not late.ok
