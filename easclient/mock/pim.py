"""Calendar, contacts, tasks and notes in the mock's mailboxes, generated with faker from the
seed like the mail: meetings (some weekly, across the end of daylight saving time, with a moved
and a cancelled occurrence), contacts with a photo, tasks and notes. A device's own Adds and
Changes are stored as it sent them and shown to the user's other devices."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from faker import Faker

from easclient.protocol._itemfields import Recurrence
from easclient.protocol.calendar import Attendee, CalendarEvent, CalendarException
from easclient.protocol.contacts import Contact
from easclient.protocol.email import Body, BodyType
from easclient.protocol.notes import Note
from easclient.protocol.sync import ContentItem
from easclient.protocol.tasks import Task
from easclient.protocol.timezone import SystemTime, TimeZone

from .config import User

#: US Pacific time: standard from the first Sunday of November, daylight from the second
#: Sunday of March (MS-ASCAL's own example zone).
PACIFIC = TimeZone(
    480,
    "Pacific Standard Time",
    SystemTime(month=11, day=1, hour=2),
    0,
    "Pacific Daylight Time",
    SystemTime(month=3, day=2, hour=2),
    -60,
)
#: Before the DST change of 2026-11-01, so weekly meetings cross it.
_MEETINGS_FROM = datetime(2026, 10, 5, 16, 0)
# A 1x1 JPEG is enough to stand for a contact's photo (MS-ASCNTC Picture: base64 JPEG).
_PHOTO = base64.b64encode(
    bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b"
        "0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ff"
        "c0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0b"
        "ffda0008010100003f00d2cf20ffd9"
    )
).decode("ascii")


@dataclass(slots=True)
class PimItem:
    """One calendar, contact, task or note item; ``data`` is what Sync carries."""

    server_id: str
    data: ContentItem
    modseq: int = 0
    date: datetime = _MEETINGS_FROM


def _when(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%SZ")


class PimFactory:
    """Deterministic items: the same (seed, user, class, index) always gives the same one."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._fake = Faker()

    def _rng(self, *parts: object) -> random.Random:
        digest = hashlib.sha256(repr((self.seed, "pim", *parts)).encode()).digest()
        return random.Random(int.from_bytes(digest[:8], "big"))

    def make(self, user: User, class_: str, server_id: str, index: int) -> PimItem | None:
        rng = self._rng(user.name, class_, index)
        fake = self._fake
        fake.seed_instance(rng.getrandbits(64))
        maker = {
            "Calendar": self._event,
            "Contacts": self._contact,
            "Tasks": self._task,
            "Notes": self._note,
        }.get(class_)
        if maker is None:
            return None
        return PimItem(server_id, maker(user, rng, fake, index))

    def _event(self, user: User, rng: random.Random, fake: Faker, index: int) -> ContentItem:
        start = _MEETINGS_FROM + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 6))
        end = start + timedelta(minutes=rng.choice((30, 60, 90)))
        weekly = index % 2 == 0
        recurrence = exceptions = None
        if weekly:  # ten weeks from October: across the end of DST on 2026-11-01
            recurrence = Recurrence(
                1, interval=1, occurrences=10, day_of_week=1 << start.isoweekday() % 7
            )
            moved = start + timedelta(weeks=3)
            exceptions = (
                CalendarException(
                    exception_start_time=_when(start + timedelta(weeks=2)), deleted=True
                ),
                CalendarException(
                    exception_start_time=_when(moved),
                    subject="(moved)",
                    start_time=_when(moved + timedelta(hours=1)),
                    end_time=_when(moved + timedelta(hours=2)),
                ),
            )
        organizer = fake.name()
        return CalendarEvent(
            subject=fake.catch_phrase(),
            start_time=_when(start),
            end_time=_when(end),
            timezone=PACIFIC,
            busy_status=2,
            dt_stamp=_when(_MEETINGS_FROM - timedelta(days=7)),
            location=f"Room {rng.randint(1, 40)}",
            reminder=15,
            uid=hashlib.sha1(f"{self.seed}{user.name}{index}".encode()).hexdigest().upper(),
            organizer_name=organizer,
            organizer_email=fake.email(),
            meeting_status=3,
            attendees=(Attendee(user.address, user.name, 5, 1),),
            recurrence=recurrence,
            exceptions=exceptions or (),
            body=Body(BodyType.PlainText, fake.paragraph()),
        )

    def _contact(self, user: User, rng: random.Random, fake: Faker, index: int) -> ContentItem:
        first, last = fake.first_name(), fake.last_name()
        return Contact(
            first_name=first,
            last_name=last,
            file_as=f"{last}, {first}",
            email1_address=fake.email(),
            mobile_phone_number=fake.phone_number(),
            company_name=fake.company(),
            job_title=fake.job(),
            picture=_PHOTO if index % 3 == 0 else None,
            body=Body(BodyType.PlainText, fake.sentence()),
        )

    def _task(self, user: User, rng: random.Random, fake: Faker, index: int) -> ContentItem:
        due = _MEETINGS_FROM + timedelta(days=rng.randint(1, 60))
        stamp = due.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return Task(
            subject=fake.bs().capitalize(),
            importance=rng.choice((0, 1, 2)),
            due_date=stamp,
            utc_due_date=stamp,
            complete=rng.random() < 0.3,
            body=Body(BodyType.PlainText, fake.sentence()),
        )

    def _note(self, user: User, rng: random.Random, fake: Faker, index: int) -> ContentItem:
        return Note(fake.sentence(nb_words=4), Body(BodyType.PlainText, fake.paragraph()))
