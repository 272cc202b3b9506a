"""Deliveries without the mock's control API: a second device sends the test mail with SendMail
(MS-ASCMD 2.2.1.17), as one would against a real server. Push latency is then timed from the
moment SendMail is sent to the Sync that brings the message to the receiving device."""

from __future__ import annotations

import os
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING

from easclient.client import BasicAuth, EasClient, MemoryState, get_profile
from easclient.errors import EasError
from easclient.load.fleet import Account, FleetError
from easclient.protocol.sendmail import SendMailRequest, SendMailResponse

from .metering import MeteredTransport
from .transport import GeventTransport

if TYPE_CHECKING:
    from .fleet import Fleet


class SendMailFailed(EasError):
    """The server refused a SendMail (the status names why)."""


class SendMailSender:
    """One extra device per load process that only sends mail."""

    def __init__(self, fleet: Fleet, host: str, account: Account, mail_domain: str) -> None:
        self.fleet = fleet
        self.environment = fleet.environment
        self.account = account
        self.mail_domain = mail_domain
        inner = GeventTransport(
            host,
            auth_header=BasicAuth(account.user, account.password).header(),
            ssl_context=fleet.ssl_context,
            connect_address=fleet.connect_address,
        )
        profile = get_profile("android")
        self.client = EasClient(
            MeteredTransport(inner, fleet.environment, fleet.stats),  # events named SendMail
            user=account.user,
            profile=profile,
            device_id=profile.device_id(f"eas-load-sender:{os.getpid()}"),
            state=MemoryState(),
        )
        self.address(account.user)  # fail early when no address can be made

    def address(self, user: str) -> str:
        """The SMTP address of a user: the name itself when it is one, else name@domain."""
        if "@" in user:
            return user
        if not self.mail_domain:
            raise FleetError(
                f"user {user!r} is no mail address: give --mail-domain for SendMail deliveries"
            )
        return f"{user}@{self.mail_domain}"

    def send(self, to_user: str, subject: str) -> None:
        """Send one message; HTTP 449 and provisioning are the client's business."""
        msg = EmailMessage()
        msg["From"] = self.address(self.account.user)
        msg["To"] = self.address(to_user)
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="eas-load.invalid")
        msg.set_content("A push-latency probe from eas load.\n")
        request = SendMailRequest(
            mime=msg.as_bytes(), client_id=uuid.uuid4().hex, save_in_sent_items=False
        )
        body, params = request.body_and_params(self.client.version)
        el = self.client.execute("SendMail", body, params=params or None)
        answer = SendMailResponse.from_element(el)
        if not answer.ok:
            raise SendMailFailed(f"SendMail failed: status {answer.status}")
