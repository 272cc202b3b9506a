"""Provisioning as a state machine, sans I/O (MS-ASPROV 3.1.5.1).

:class:`ProvisionFlow` is fed the parsed answers (:class:`ProvisionResponse`) and says what to
send next or how the flow ended; whoever moves the bytes (the client, the matrix, the replay's
bootstrap) stores the key and reports. The phases:

1. the policy request (``ProvisionRequest.initial``) → a temporary PolicyKey (MS-ASPROV
   3.1.5.1); a server with no policy for the device answers Policy Status 2 and no key
   (SOGo does): the flow ends without a key, and that is no failure;
2. the acknowledgement of that key (``ProvisionRequest.acknowledge``) → the final PolicyKey,
   sent as X-MS-PolicyKey from then on (MS-ASPROV 3.1.5.1.2);
3. an answer with ``RemoteWipe`` (or 16.1's ``AccountOnlyRemoteWipe``), in either phase: the
   wipe is acknowledged (MS-ASPROV 3.1.5.1.2.1), whatever comes back the flow ends "wiped".

Status 165 (DeviceInformationRequired, MS-ASCMD 2.2.2) to a policy request sent without
DeviceInformation: send it again with it (:meth:`ProvisionFlow.device_information_required`).

:class:`Reprovision` is the rule around every other command: HTTP 449 or Status 142-144
(MS-ASHTTP 3.2.5.1, MS-ASCMD 2.2.2) → provision, then resend the command once; Status 140 →
provision to receive the RemoteWipe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from easclient.wbxml import Element

from .errors import ProtocolError
from .provision import ProvisionRequest, ProvisionResponse
from .settings import DeviceInformation
from .status import PolicyStatus, ProvisionStatus, RemoteWipeStatus

__all__ = [
    "ProvisionFlow",
    "ProvisionOutcome",
    "ProvisionPhase",
    "ProvisionResult",
    "Reprovision",
]


class ProvisionPhase(Enum):
    """Which request of the flow an answer answers."""

    POLICY = "policy"  # the initial request: policy and temporary key
    ACKNOWLEDGE = "acknowledge"  # the acknowledgement of the temporary key
    WIPE_ACKNOWLEDGE = "wipe-acknowledge"  # the acknowledgement of a RemoteWipe
    DONE = "done"


class ProvisionResult(Enum):
    """How a provisioning flow ended."""

    PROVISIONED = "provisioned"  # final PolicyKey in ``policy_key``
    NO_POLICY = "no-policy"  # Policy Status 2: no policy, no key; go on without (MS-ASPROV)
    WIPED = "wiped"  # a remote wipe was requested and acknowledged (nothing deleted here)
    FAILED = "failed"  # the server refused; ``status``/``policy_status`` say how


@dataclass(frozen=True, slots=True)
class ProvisionOutcome:
    """The end of a :class:`ProvisionFlow`.

    ``phase`` is the request whose answer ended it (a failure in ``ACKNOWLEDGE`` is the
    acknowledgement refused); ``policy_key`` is that answer's key (the final one when
    :attr:`PROVISIONED`); ``wipe`` is "device" or "account-only" for :attr:`WIPED`.
    """

    result: ProvisionResult
    phase: ProvisionPhase
    policy_key: int | None = None
    status: ProvisionStatus | int | None = None
    policy_status: PolicyStatus | int | None = None
    wipe: str | None = None


class ProvisionFlow:
    """Two-phase provisioning, with remote wipe and the no-policy answer (MS-ASPROV 3.1.5.1).

    ``request()`` is what to send now; ``receive(answer)`` takes the parsed answer and returns
    the next request, or a :class:`ProvisionOutcome` when the flow is over;
    ``receive_element`` does the same from the decoded body.
    """

    def __init__(self, version: str, device_information: DeviceInformation | None = None):
        self.version = version
        self.device_information = device_information
        self.phase = ProvisionPhase.POLICY
        self._request = ProvisionRequest.initial(version, device_information)
        self.wipe: str | None = None  # "device" or "account-only" once a wipe is asked
        self.outcome: ProvisionOutcome | None = None

    def request(self) -> ProvisionRequest:
        """The request to send now."""
        if self.outcome is not None:
            raise RuntimeError("the provisioning flow is over")
        return self._request

    def device_information_required(
        self, device_information: DeviceInformation
    ) -> ProvisionRequest | None:
        """Status 165 to the policy request: the same request again with DeviceInformation,
        or None when it already carried it (then the 165 stands; MS-ASCMD 2.2.2)."""
        if self.phase is not ProvisionPhase.POLICY or self.device_information is not None:
            return None
        self.device_information = device_information
        self._request = ProvisionRequest.initial(self.version, device_information)
        return self._request

    def receive_element(self, el: Element | None) -> ProvisionRequest | ProvisionOutcome:
        """:meth:`receive` from a decoded body (None: an empty body). The answer to a wipe
        acknowledgement is not read: whatever it says, the device has done its part."""
        if self.phase is ProvisionPhase.WIPE_ACKNOWLEDGE:
            return self.receive(None)
        if el is None:
            raise ProtocolError("Provision: empty response body")
        return self.receive(ProvisionResponse.from_element(el))

    def receive(self, answer: ProvisionResponse | None) -> ProvisionRequest | ProvisionOutcome:
        """The next request to send, or how the flow ended. ``None`` (no answer to read) is
        accepted only for a wipe acknowledgement."""
        phase = self.phase
        if phase is ProvisionPhase.DONE:
            raise RuntimeError("the provisioning flow is over")
        if phase is ProvisionPhase.WIPE_ACKNOWLEDGE:
            return self._end(ProvisionResult.WIPED, wipe=self.wipe)
        if answer is None:
            raise ProtocolError("Provision: empty response body")
        if answer.remote_wipe or answer.account_only_remote_wipe:
            return self._acknowledge_wipe(answer)
        if answer.status != ProvisionStatus.Success:
            return self._end(ProvisionResult.FAILED, answer)
        if phase is ProvisionPhase.ACKNOWLEDGE:
            if answer.policy_key is None:
                return self._end(ProvisionResult.FAILED, answer)
            return self._end(ProvisionResult.PROVISIONED, answer)
        if answer.policy_status == PolicyStatus.NoPolicy:
            return self._end(ProvisionResult.NO_POLICY, answer)
        if answer.policy_status not in (None, PolicyStatus.Success) or answer.policy_key is None:
            return self._end(ProvisionResult.FAILED, answer)
        self.phase = ProvisionPhase.ACKNOWLEDGE
        self._request = ProvisionRequest.acknowledge(answer.policy_key, version=self.version)
        return self._request

    def _acknowledge_wipe(self, answer: ProvisionResponse) -> ProvisionRequest:
        """MS-ASPROV 3.1.5.1.2.1: answer a RemoteWipe with its Status 1 (wipe "done")."""
        self.phase = ProvisionPhase.WIPE_ACKNOWLEDGE
        if answer.account_only_remote_wipe:
            self.wipe = "account-only"
            self._request = ProvisionRequest(
                policy_type=None, account_only_remote_wipe_status=RemoteWipeStatus.Success
            )
        else:
            self.wipe = "device"
            self._request = ProvisionRequest(
                policy_type=None, remote_wipe_status=RemoteWipeStatus.Success
            )
        return self._request

    def _end(
        self,
        result: ProvisionResult,
        answer: ProvisionResponse | None = None,
        *,
        wipe: str | None = None,
    ) -> ProvisionOutcome:
        outcome = ProvisionOutcome(
            result,
            self.phase,
            None if answer is None else answer.policy_key,
            None if answer is None else answer.status,
            None if answer is None else answer.policy_status,
            wipe,
        )
        self.phase = ProvisionPhase.DONE
        self.outcome = outcome
        return outcome


class Reprovision:
    """The provisioning rule around one command other than Provision (MS-ASPROV 3.1.5.1).

    HTTP 449 or Status 142-144 ask the client to provision and send the command again; that is
    done once per command (a server that asks again after a fresh key is answered with the
    error). Status 140 asks for a remote wipe: provision, whose answer carries the RemoteWipe.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self.provisioned = False

    def provision_required(self) -> bool:
        """HTTP 449 / Status 142-144: True to provision and resend, False to give up."""
        if self.provisioned or self.command == "Provision":
            return False
        self.provisioned = True
        return True

    def remote_wipe_requested(self) -> bool:
        """Status 140: True to provision (and so receive the RemoteWipe), False to give up."""
        return self.command != "Provision"
