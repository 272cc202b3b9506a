"""Mail items as the protocol carries them: Email application data with AirSyncBase bodies.

Body choice follows MS-ASAIRS 2.2.2.8 (BodyPreference): the first preference whose Type the
server supports (1 plain text, 2 HTML, 4 MIME) wins; ``TruncationSize`` cuts the data (in bytes
of UTF-8) and sets ``Truncated`` with ``EstimatedDataSize`` = the full size; ``AllOrNone`` sends
no data at all rather than a truncated part. Protocol 2.5 uses the AirSync ``Truncation``
enumeration instead (MS-ASCMD 2.2.3.179).
"""

from __future__ import annotations

from easclient.protocol.email import Attachment, AttachmentMethod, Body, BodyType, Email
from easclient.protocol.versions import version_at_least

from .mailbox import Message

#: AirSync:Truncation values (2.5) -> bytes; 9 = no truncation (MS-ASCMD 2.2.3.179).
_LEGACY_TRUNCATION = {
    0: 0,
    1: 4096,
    2: 5120,
    3: 7168,
    4: 10240,
    5: 20480,
    6: 51200,
    7: 102400,
    8: 0x7FFFFFFF,
    9: None,
}
SUPPORTED_BODY_TYPES = (1, 2, 4)


def body_bytes(msg: Message, body_type: int) -> bytes:
    if body_type == BodyType.MIME:
        return msg.mime_bytes()
    if body_type == BodyType.HTML:
        return msg.body_html.encode()
    return msg.body_text.encode()


def make_body(msg: Message, preferences: tuple = (), legacy_truncation: int | None = None) -> Body:
    """The body for ``msg`` honouring the client's BodyPreference list (or 2.5 Truncation)."""
    pref = next((p for p in preferences if int(p.type) in SUPPORTED_BODY_TYPES), None)
    body_type = int(pref.type) if pref is not None else BodyType.PlainText
    limit = pref.truncation_size if pref is not None else None
    if pref is None and legacy_truncation is not None:
        limit = _LEGACY_TRUNCATION.get(legacy_truncation)
    data = body_bytes(msg, body_type)
    size = len(data)
    if limit is not None and size > limit:
        if pref is not None and pref.all_or_none:
            return Body(BodyType(body_type), None, True, size)
        cut = data[:limit].decode("utf-8", "ignore")
        return Body(BodyType(body_type), cut, True, size)
    return Body(BodyType(body_type), data.decode("utf-8", "replace"), False, size)


def date_text(msg: Message) -> str:
    """MS-ASDTYPE 2.3 date-time: ``2026-01-01T12:00:00.000Z``."""
    return msg.date.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def email_for(msg: Message, version: str, options: object = None) -> Email:
    """The full ApplicationData of ``msg`` for a Sync Add or an ItemOperations Fetch."""
    preferences = tuple(getattr(options, "body_preferences", ()) or ())
    legacy = getattr(options, "truncation", None)
    modern = version_at_least(version, "12.0")
    return Email(
        subject=msg.subject,
        from_=msg.sender,
        to=msg.to,
        date_received=date_text(msg),
        display_to=msg.to.split("<")[0].strip() or None,
        thread_topic=msg.subject,
        importance=msg.importance,
        read=msg.read,
        message_class=msg.message_class,
        internet_cpid="65001",
        body=make_body(msg, preferences if modern else (), legacy),
        native_body_type=BodyType.HTML if modern else None,
        attachments=tuple(
            Attachment(
                display_name=name,
                file_reference=msg.file_reference(i),
                method=AttachmentMethod.NormalAttachment,
                estimated_data_size=len(data),
            )
            for i, (name, _, data) in enumerate(msg.attachments)
        ),
    )


def change_for(msg: Message) -> Email:
    """The ApplicationData of a server Change: the fields that change in the mock (Read)."""
    return Email(read=msg.read)
