"""Realistic EAS documents made with ``faker``, for the libwbxml cross-check and the benchmark.

Every generator takes a seed and gives the same tree for the same seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from faker import Faker

from easclient.wbxml import Element, ns

A = ns("AirSync")
EM = ns("Email")
EM2 = ns("Email2")
B = ns("AirSyncBase")
F = ns("FolderHierarchy")


def _faker(seed: int) -> Faker:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    return fake


def _mime(fake: Faker, rnd: random.Random, sender: str, to: str, subject: str, when: str) -> str:
    body = "\r\n".join(fake.paragraphs(nb=rnd.randint(8, 11)))
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {when}\r\n"
        f"Message-ID: <{fake.uuid4()}@{fake.domain_name()}>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'
        f"{body}\r\n"
    )


def email(fake: Faker, rnd: random.Random, server_id: str, *, mime: bool) -> Element:
    """One ``Sync`` ``Add`` of an email (MS-ASEMAIL, MS-ASAIRS), as Exchange sends it."""
    sender = f'"{fake.name()}" <{fake.email()}>'
    to = f'"{fake.name()}" <{fake.email()}>'
    subject = fake.sentence(nb_words=rnd.randint(3, 9)).rstrip(".")
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=rnd.randint(0, 30_000_000))
    if mime:
        data = _mime(fake, rnd, sender, to, subject, when.strftime("%a, %d %b %Y %H:%M:%S +0000"))
        body_type = "4"
    else:
        data = "\r\n\r\n".join(fake.paragraphs(nb=rnd.randint(6, 10)))
        body_type = "1"
    return A.Add(
        A.ServerId(server_id),
        A.ApplicationData(
            EM.To(to),
            EM.From(sender),
            EM.Subject(subject),
            EM.DateReceived(when.strftime("%Y-%m-%dT%H:%M:%S.000Z")),
            EM.DisplayTo(to.split('"')[1]),
            EM.ThreadTopic(subject),
            EM.Importance(str(rnd.choice((0, 1, 1, 1, 2)))),
            EM.Read(str(rnd.randint(0, 1))),
            B.Body(
                B.Type(body_type),
                B.EstimatedDataSize(str(len(data.encode()))),
                B.Data(data),
            ),
            EM.MessageClass("IPM.Note"),
            EM.InternetCPID("65001"),
            EM.Flag(),
            EM.ContentClass("urn:content-classes:message"),
            B.NativeBodyType(rnd.choice(("1", "2"))),
            EM2.ConversationId(rnd.randbytes(16)),
            EM2.ConversationIndex(rnd.randbytes(5)),
        ),
    )


def sync_response(emails: int, *, mime: bool = False, seed: int = 0) -> Element:
    """A Sync response (MS-ASCMD 2.2.1.21) adding ``emails`` messages to the Inbox."""
    fake = _faker(seed)
    rnd = random.Random(seed)
    commands = [email(fake, rnd, f"5:{i + 1}", mime=mime) for i in range(emails)]
    return A.Sync(
        A.Collections(
            A.Collection(
                A.SyncKey(str(rnd.randint(1, 2**31))),
                A.CollectionId("5"),
                A.Status("1"),
                A.Commands(*commands),
                A.MoreAvailable() if rnd.random() < 0.5 else None,
            )
        )
    )


def folder_sync_response(folders: int, *, seed: int = 0) -> Element:
    """A FolderSync response (MS-ASCMD 2.2.1.5) with the default folders and ``folders`` more."""
    fake = _faker(seed)
    rnd = random.Random(seed)
    defaults = [
        ("Inbox", 2),
        ("Drafts", 3),
        ("Deleted Items", 4),
        ("Sent Items", 5),
        ("Outbox", 6),
        ("Tasks", 7),
        ("Calendar", 8),
        ("Contacts", 9),
    ]
    adds = [
        F.Add(F.ServerId(str(i + 1)), F.ParentId("0"), F.DisplayName(name), F.Type(str(kind)))
        for i, (name, kind) in enumerate(defaults)
    ]
    for i in range(folders):
        adds.append(
            F.Add(
                F.ServerId(str(len(defaults) + i + 1)),
                F.ParentId(str(rnd.randint(0, len(defaults) + i))),
                F.DisplayName(fake.catch_phrase()),
                F.Type(str(rnd.choice((1, 12, 13, 14, 15, 17)))),
            )
        )
    return F.FolderSync(
        F.Status("1"),
        F.SyncKey(str(rnd.randint(1, 1000))),
        F.Changes(F.Count(str(len(adds))), *adds),
    )


def many_pieces_wbxml(size: int) -> bytes:
    """About ``size`` bytes of WBXML: a ``Sync`` whose ``SyncKey`` value comes as many small
    STR_I and ENTITY pieces and whose ``Mime`` value (ComposeMail, opaque) as many OPAQUE
    pieces -- legal WBXML a hostile peer can send to make a decoder that joins pieces one by one
    take quadratic time. The SyncKey's value is ``"0123456789abcdé" * n``."""
    n = max(1, size // 2 // 17)
    str_pieces = b"\x03" + b"0123456789abcd\x00" + b"\x02\x81\x69"  # STR_I ..., ENTITY U+00E9
    opaque_pieces = b"\xc3\x0e" + b"0123456789abcd"  # OPAQUE, 14 bytes
    return (
        b"\x03\x01\x6a\x00"
        + b"\x45"  # Sync, with content (code page 0)
        + b"\x4b"  # SyncKey, with content
        + str_pieces * n
        + b"\x01"
        + b"\x00\x15"  # SWITCH_PAGE 21 (ComposeMail)
        + b"\x50"  # Mime, with content
        + opaque_pieces * n
        + b"\x01"
        + b"\x01"
    )


def many_children_xml(size: int) -> str:
    """About ``size`` bytes of pretty-printed XML: one element with many children, so many
    whitespace text nodes (each child's indentation) in one element."""
    child = "    <SyncKey>1</SyncKey>\n"
    n = max(1, size // len(child))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<Sync xmlns="AirSync:">\n  <Collections>\n'
        + child * n
        + "  </Collections>\n</Sync>\n"
    )
