"""ItemOperations Fetch (MS-ASCMD 2.2.1.10) and SendMail (2.2.1.16), server side."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from easclient.protocol.email import Body
from easclient.protocol.http import MULTIPART_CONTENT_TYPE
from easclient.protocol.itemoperations import (
    FetchResult,
    ItemOperationsRequest,
    ItemOperationsResponse,
)
from easclient.protocol.sendmail import SendMailRequest, SendMailResponse, sendmail_uses_wbxml
from easclient.protocol.status import CommonStatus, ItemOperationsStatus
from easclient.protocol.versions import version_at_least

from .config import Quirk
from .context import Answer, Context, StatusAnswer
from .mailbox import INBOX_ID, SENT_ID, Message
from .render import body_bytes, email_for


async def handle_item_operations(ctx: Context) -> Answer:
    """Fetch mail items by CollectionId + ServerId, in one WBXML body or, when the client
    accepts it (``MS-ASAcceptMultiPart: T``), as a multipart body whose parts carry the
    mail bodies (MS-ASCMD 2.2.1.10.1; EAS-FACTS §8)."""
    request = ItemOperationsRequest.from_element(ctx.body)
    multipart = ctx.query.params.get("AcceptMultiPart") == "T"
    results: list[FetchResult] = []
    parts: list[bytes] = []
    for fetch in request.fetches:
        if fetch.file_reference is not None:
            results.append(_fetch_attachment(ctx, fetch.file_reference, multipart, parts))
            continue
        found = None
        if fetch.server_id is not None:
            found = ctx.mailbox.find_message(fetch.server_id)
            if found is not None and fetch.collection_id not in (None, found[0].server_id):
                found = None
        if found is None:
            results.append(
                FetchResult(
                    ItemOperationsStatus.ObjectNotFound,
                    collection_id=fetch.collection_id,
                    server_id=fetch.server_id,
                    file_reference=fetch.file_reference,
                    long_id=fetch.long_id,
                )
            )
            continue
        folder, msg = found
        item = email_for(msg, ctx.version, fetch)
        if multipart and item.body is not None and item.body.data is not None:
            parts.append(body_bytes(msg, int(item.body.type)))
            body = item.body
            item = _replace_body(
                item,
                Body(body.type, None, body.truncated, body.estimated_data_size, part=len(parts)),
            )
        results.append(
            FetchResult(
                ItemOperationsStatus.Success,
                collection_id=folder.server_id,
                server_id=msg.server_id,
                class_="Email",
                item=item,
            )
        )
    response = ItemOperationsResponse(ItemOperationsStatus.Success, tuple(results))
    if multipart:
        return Answer(
            body=response.to_multipart(ctx.version, parts), content_type=MULTIPART_CONTENT_TYPE
        )
    return Answer(element=response.to_element(ctx.version))


def _fetch_attachment(
    ctx: Context, file_reference: str, multipart: bool, parts: list[bytes]
) -> FetchResult:
    """An attachment by FileReference: base64 Data, or a multipart part (MS-ASCMD 2.2.3.67.2)."""
    found = ctx.mailbox.find_attachment(file_reference)
    if found is None:
        return FetchResult(ItemOperationsStatus.InvalidAttachment, file_reference=file_reference)
    _, content_type, data = found
    if multipart:
        parts.append(data)
        return FetchResult(
            ItemOperationsStatus.Success,
            file_reference=file_reference,
            content_type=content_type,
            part=len(parts),
        )
    return FetchResult(
        ItemOperationsStatus.Success,
        file_reference=file_reference,
        content_type=content_type,
        data=data,
    )


def _replace_body(item, body: Body):
    from dataclasses import replace

    return replace(item, body=body)


def _text_parts(message: EmailMessage) -> tuple[str, str]:
    plain = message.get_body(preferencelist=("plain",))
    rich = message.get_body(preferencelist=("html",))
    text = plain.get_content() if plain is not None else ""
    markup = rich.get_content() if rich is not None else ""
    if not markup:
        markup = f"<html><body><pre>{html.escape(text)}</pre></body></html>"
    return text, markup


async def handle_send_mail(ctx: Context) -> Answer:
    """SendMail: deliver to every local recipient's Inbox (which wakes their Pings), keep a copy
    in Sent Items on request. Unknown remote recipients are accepted and dropped, as a relay
    would. Status 107 for MIME that cannot be read, 119 without recipients."""
    if sendmail_uses_wbxml(ctx.version):
        if ctx.element is None:
            raise StatusAnswer(CommonStatus.InvalidContent)
        request = SendMailRequest.from_element(ctx.element)
    else:
        request = SendMailRequest.from_legacy(ctx.request.body, ctx.query.params)
    refused = deliver_mime(ctx, request.mime, save_in_sent=request.save_in_sent_items)
    return refused or Answer(element=SendMailResponse().to_element(ctx.version))


def deliver_mime(ctx: Context, mime: bytes, *, save_in_sent: bool) -> Answer | None:
    """Deliver an RFC 5322 message to its local recipients (and to Sent Items on request);
    raises :class:`StatusAnswer` 107 (unreadable MIME) or 119 (no recipient). A From that is
    not the user's is handled as the personality's server does: replaced, kept, or refused
    (then the refusal is returned, to be sent instead of success)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(mime)
        recipients = getaddresses(
            [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
        )
        text, markup = _text_parts(message)
    except (ValueError, TypeError, LookupError) as e:
        raise StatusAnswer(CommonStatus.InvalidMIME) from e
    if not message.keys():
        raise StatusAnswer(CommonStatus.InvalidMIME)
    addresses = [addr for _, addr in recipients if addr]
    if not addresses:
        raise StatusAnswer(CommonStatus.MessageHasNoRecipient)
    if _foreign_from(message, ctx.user.address):
        quirks = ctx.state.personality.quirks
        if Quirk.SENDMAIL_FROM_REPLACED in quirks:
            try:
                del message["From"]
                message["From"] = ctx.user.address
                mime = message.as_bytes()
            except (ValueError, TypeError, LookupError) as e:
                raise StatusAnswer(CommonStatus.InvalidMIME) from e
        elif Quirk.SENDMAIL_FROM_KEPT not in quirks:
            return _foreign_from_refused(ctx)
    store = ctx.state.store
    now = datetime.now(UTC).replace(microsecond=0)
    sender = str(message.get("From") or ctx.user.address)
    subject = str(message.get("Subject") or "")
    to = str(message.get("To") or "")
    delivered = set()
    for address in addresses:
        user = store.user(address)
        if user is None or user.name in delivered:
            continue
        delivered.add(user.name)
        box = store.mailbox(user)
        inbox = box.folders[INBOX_ID]  # every mailbox has one
        box.items(inbox)
        box.add_message(
            inbox,
            Message(inbox.next_server_id(), subject, sender, to, now, text, markup, mime=mime),
        )
        ctx.state.stats.deliveries += 1
    if save_in_sent:
        sent = ctx.mailbox.folders[SENT_ID]
        ctx.mailbox.items(sent)
        ctx.mailbox.add_message(
            sent,
            Message(
                sent.next_server_id(), subject, sender, to, now, text, markup, read=True, mime=mime
            ),
        )
    return None


def _foreign_from(message: EmailMessage, own: str) -> bool:
    """Whether the message's From names an address other than the user's own."""
    try:
        values = [str(v) for v in message.get_all("From", [])]
    except (ValueError, TypeError, LookupError):
        return True
    return any(addr.lower() != own.lower() for _, addr in getaddresses(values) if addr)


def _foreign_from_refused(ctx: Context) -> Answer:
    """Exchange without Send As permission: the store refuses to submit the message
    (KB 912918: "You do not have the permission to send the message on behalf of the
    specified user"). From 14.0 a status says so (120 MailSubmissionFailed); before, SendMail
    has no status to carry, so HTTP 403."""
    ctx.state.stats.bad_requests += 1
    if version_at_least(ctx.version, "14.0"):
        raise StatusAnswer(CommonStatus.MailSubmissionFailed)
    return Answer(status_code=403)
