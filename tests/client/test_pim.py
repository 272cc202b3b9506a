"""Calendar, contacts, tasks and notes end to end against the mock over real HTTP: a device
syncs every class, adds a contact and a meeting that a second device of the same user sees
after its Ping wakes, changes and deletes them, and meetings keep their time zone and their
exceptions across the end of daylight saving time."""

from __future__ import annotations

import threading
import time

import pytest

from easclient.client import BasicAuth, EasClient, HttpxTransport, actions, get_profile
from easclient.client.memstate import MemoryState
from easclient.protocol.calendar import Attendee, CalendarEvent
from easclient.protocol.contacts import Contact
from easclient.protocol.email import Body, BodyType
from easclient.protocol.tasks import Task

from .test_e2e_mock import device  # noqa: F401  (the client factory fixture)

CALENDAR, CONTACTS, TASKS, NOTES = "8", "9", "7", "10"
PIM = ("Calendar", "Contacts", "Tasks", "Notes")


@pytest.mark.parametrize("profile", ["iphone", "android", "windows-mobile"])
def test_a_device_syncs_every_class(device, profile):  # noqa: F811
    phone = device(profile)
    report = phone.sync_all(["Email", *PIM])
    by_name = {f.name: f for f in report.folders.values()}
    notes_expected = phone.version >= "14.0"  # Notes: 14.0 and later (MS-ASNOTE)
    for name in ("Calendar", "Contacts", "Tasks"):
        assert by_name[name].added == 5 and by_name[name].total == 5, name
    assert by_name["Inbox"].added == 10
    items = {i.server_id: i for i in phone.state.items(CALENDAR)}
    assert all(i.class_ == "Calendar" and i.subject for i in items.values())
    contacts = phone.state.items(CONTACTS)
    assert all(i.subject and "," in i.subject for i in contacts)  # listed by FileAs
    if notes_expected:
        assert by_name["Notes"].total == 5
    else:
        assert "Notes" not in by_name  # not synced below 14.0


def test_meetings_keep_their_zone_and_exceptions(device, eas_mock_server):  # noqa: F811
    from easclient.protocol.sync import SyncCollectionRequest, SyncRequest, parse_sync_body

    phone = device("iphone")  # 16.1: exceptions named by InstanceId
    phone.sync_all(["Calendar"])
    # Read the calendar raw as a fresh device would: Sync from SyncKey 0 on a second device.
    other = device("android")  # 14.1: exceptions named by ExceptionStartTime
    other.folder_sync()
    prime = SyncRequest(collections=(SyncCollectionRequest("0", CALENDAR),))
    key = parse_sync_body(other.execute("Sync", prime.to_element(other.version))).collections[0]
    req = SyncRequest(collections=(SyncCollectionRequest(key.sync_key, CALENDAR),))
    body = other.execute("Sync", req.to_element(other.version))
    events = [
        c.application_data
        for c in parse_sync_body(body, {CALENDAR: "Calendar"}).collections[0].commands
    ]
    assert events and all(isinstance(e, CalendarEvent) for e in events)
    weekly = [e for e in events if e.recurrence is not None]
    assert weekly, "the mock makes every other meeting weekly"
    for e in weekly:
        assert e.timezone is not None and e.timezone.has_dst and e.timezone.bias == 480
        assert e.recurrence.occurrences == 10 and len(e.exceptions) == 2
        assert any(x.deleted for x in e.exceptions)
        assert all(x.exception_start_time for x in e.exceptions)  # 14.1 form


def _memory_device(server, profile: str) -> EasClient:
    """A device whose state is in memory (usable from any thread, unlike SQLite's)."""
    p = get_profile(profile)
    transport = HttpxTransport(server.url, auth=BasicAuth(server.user.name, server.user.password))
    return EasClient(
        transport,
        user=server.user.name,
        profile=p,
        device_id=p.device_id(f"{server.user.name}-memory"),
        state=MemoryState(),
        sleep=lambda s: None,
    )


def test_a_second_device_sees_adds_changes_and_deletes_after_its_ping(device, eas_mock_server):  # noqa: F811
    phone, tablet = device("iphone"), device("android")
    phone.sync_all(PIM)
    tablet.sync_all(PIM)
    contact = Contact(first_name="Ada", last_name="Lovelace", file_as="Lovelace, Ada",
                      email1_address="ada@example.test")  # fmt: skip
    meeting = CalendarEvent(
        subject="Design review",
        start_time="20261103T170000Z",
        end_time="20261103T180000Z",
        attendees=(Attendee("bob@example.test", "Bob", attendee_type=1),),
        body=Body(BodyType.PlainText, "Bring the drafts"),
    )
    # SQLite state stays in the thread that opened it: the tablet parks its Ping here while a
    # third device of the user (state in memory) adds the contact and the meeting from a timer
    # thread.
    added: dict[str, str] = {}

    def later() -> None:
        time.sleep(0.5)
        other = _memory_device(eas_mock_server, "outlook")
        try:
            added["contact"] = actions.add_item(other, CONTACTS, contact)
            added["meeting"] = actions.add_item(other, CALENDAR, meeting)
        finally:
            other.transport.close()

    timer = threading.Thread(target=later)
    timer.start()
    answer = tablet.ping(heartbeat=30, folder_ids=[CALENDAR, CONTACTS])
    timer.join(timeout=20)
    assert answer.status == 2 and set(answer.folders) & {CALENDAR, CONTACTS}  # woken
    assert answer.seconds < 10
    report = tablet.sync_all(PIM)
    names = {f.name: f for f in report.folders.values()}
    assert names["Contacts"].added == 1 and names["Calendar"].added == 1
    assert {i.server_id: i.subject for i in tablet.state.items(CONTACTS)}[added["contact"]] == (
        "Lovelace, Ada"
    )
    assert {i.server_id: i.subject for i in tablet.state.items(CALENDAR)}[added["meeting"]] == (
        "Design review"
    )

    contact_id = actions.add_item(phone, CONTACTS, Contact(first_name="Grace", file_as="Grace"))
    assert sum(f.added for f in phone.sync_all(PIM).folders.values()) == 2  # the other's two
    assert sum(f.added for f in phone.sync_all(PIM).folders.values()) == 0  # not its own
    tablet.sync_all(PIM)
    actions.change_item(phone, CONTACTS, contact_id, Contact(first_name="Grace",
                                                              last_name="Hopper",
                                                              file_as="Hopper, Grace"))  # fmt: skip
    actions.delete_item(phone, CALENDAR, added["meeting"])
    report = tablet.sync_all(PIM)
    names = {f.name: f for f in report.folders.values()}
    assert names["Contacts"].changed == 1 and names["Calendar"].deleted == 1
    assert {i.server_id: i.subject for i in tablet.state.items(CONTACTS)}[contact_id] == (
        "Hopper, Grace"
    )


def test_a_task_added_on_one_device_reaches_another(device):  # noqa: F811
    phone, tablet = device("iphone"), device("outlook")
    task_id = actions.add_item(phone, TASKS, Task(subject="File expenses", importance=2))
    tablet.sync_all(["Tasks"])
    assert {i.server_id: i.subject for i in tablet.state.items(TASKS)}[task_id] == "File expenses"


def test_an_unreadable_add_is_refused_per_item(device):  # noqa: F811
    from easclient.protocol import ProtocolError
    from easclient.wbxml import E

    phone = device("iphone")
    bad = E("AirSync:ApplicationData", E("Calendar:Recurrence", E("Calendar:Interval", "1")))
    with pytest.raises(ProtocolError, match="did not take"):
        actions.add_item(phone, CALENDAR, bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("profile", ["android", "windows-mobile"])  # HeartbeatInterval, Wait
def test_sync_based_push_returns_on_delivery_like_ping(device, eas_mock_server, profile):  # noqa: F811
    phone = device(profile)
    phone.sync_all_mail()
    timer = threading.Timer(
        0.5, lambda: eas_mock_server.control.deliver(eas_mock_server.user.name, count=1)
    )
    timer.start()
    try:
        report = phone.sync_push(heartbeat=60, folder_ids=["2"])
    finally:
        timer.cancel()
    assert report.outcome.value == "changes" and report.folders == ("2",)
    assert report.seconds < 10  # woken by the delivery, not by the end of the interval
    assert phone.sync_all_mail().folders["2"].added == 0  # the new mail came with the answer
    assert phone.state.item_count("2") == 11


def test_sync_push_without_changes_ends_empty_and_out_of_bounds_is_adjusted(device):  # noqa: F811
    phone = device("android")
    phone.sync_all_mail()
    quiet = phone.sync_push(heartbeat=1, folder_ids=["2"])
    assert quiet.outcome.value == "no-changes" and quiet.status is None
    bad = phone.sync_push(heartbeat=99999, folder_ids=["2"])
    assert bad.outcome.value == "adjusted" and bad.server_heartbeat is not None
