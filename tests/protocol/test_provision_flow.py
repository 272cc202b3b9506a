"""ProvisionFlow and Reprovision (MS-ASPROV 3.1.5.1): parsed answers in, requests/outcomes out."""

from __future__ import annotations

import pytest

from easclient.protocol import ProtocolError, ProvisionRequest, ProvisionResponse
from easclient.protocol.provision_flow import (
    ProvisionFlow,
    ProvisionOutcome,
    ProvisionPhase,
    ProvisionResult,
    Reprovision,
)
from easclient.protocol.settings import DeviceInformation
from easclient.protocol.status import (
    PolicyAckStatus,
    PolicyStatus,
    ProvisionStatus,
    RemoteWipeStatus,
)

WBXML_POLICY = "MS-EAS-Provisioning-WBXML"


def policy(key: int | None, status: int | None = 1, provision_status: int = 1) -> ProvisionResponse:
    return ProvisionResponse(
        status=provision_status, policy_type=WBXML_POLICY, policy_status=status, policy_key=key
    )


def test_two_phases_temporary_key_acknowledged_then_final_key():
    flow = ProvisionFlow("14.1")
    first = flow.request()
    assert first.policy_type == WBXML_POLICY and first.policy_key is None
    ack = flow.receive(policy(1111))
    assert isinstance(ack, ProvisionRequest)
    assert ack.policy_key == 1111 and ack.policy_status == PolicyAckStatus.Success
    assert flow.phase is ProvisionPhase.ACKNOWLEDGE and flow.request() is ack
    outcome = flow.receive(policy(2222))
    assert outcome == ProvisionOutcome(
        ProvisionResult.PROVISIONED,
        ProvisionPhase.ACKNOWLEDGE,
        2222,
        ProvisionStatus.Success,
        PolicyStatus.Success,
    )
    assert flow.outcome is outcome
    with pytest.raises(RuntimeError):
        flow.request()


def test_25_asks_for_the_wap_policy():
    flow = ProvisionFlow("2.5")
    assert flow.request().policy_type == "MS-WAP-Provisioning-XML"
    ack = flow.receive(policy(7))
    assert isinstance(ack, ProvisionRequest) and ack.policy_type == "MS-WAP-Provisioning-XML"


def test_sogo_policy_status_2_without_key_is_no_policy_not_a_failure():
    flow = ProvisionFlow("14.1")
    outcome = flow.receive(policy(None, status=PolicyStatus.NoPolicy))
    assert isinstance(outcome, ProvisionOutcome)
    assert outcome.result is ProvisionResult.NO_POLICY and outcome.policy_key is None
    assert outcome.phase is ProvisionPhase.POLICY


@pytest.mark.parametrize(
    ("answer", "status", "policy_status"),
    [
        (policy(5, provision_status=ProvisionStatus.ServerError), 3, 1),
        (policy(5, status=PolicyStatus.PolicyDataCorrupt), 1, 4),
        (policy(None, status=PolicyStatus.Success), 1, 1),
        (policy(None, status=None), 1, None),
    ],
)
def test_refused_policy_request_fails_in_the_policy_phase(answer, status, policy_status):
    flow = ProvisionFlow("14.1")
    outcome = flow.receive(answer)
    assert isinstance(outcome, ProvisionOutcome)
    assert outcome.result is ProvisionResult.FAILED and outcome.phase is ProvisionPhase.POLICY
    assert outcome.status == status and outcome.policy_status == policy_status


@pytest.mark.parametrize(
    "answer", [policy(None), policy(9, provision_status=ProvisionStatus.ProtocolError)]
)
def test_refused_acknowledgement_fails_in_the_acknowledge_phase(answer):
    flow = ProvisionFlow("14.1")
    flow.receive(policy(1))
    outcome = flow.receive(answer)
    assert isinstance(outcome, ProvisionOutcome)
    assert outcome.result is ProvisionResult.FAILED
    assert outcome.phase is ProvisionPhase.ACKNOWLEDGE


@pytest.mark.parametrize(
    ("answer", "wipe", "field"),
    [
        (ProvisionResponse(status=1, remote_wipe=True), "device", "remote_wipe_status"),
        (
            ProvisionResponse(status=1, account_only_remote_wipe=True),
            "account-only",
            "account_only_remote_wipe_status",
        ),
    ],
)
@pytest.mark.parametrize("in_ack_phase", [False, True])
def test_remote_wipe_is_acknowledged_then_the_outcome_is_wiped(answer, wipe, field, in_ack_phase):
    flow = ProvisionFlow("16.1")
    if in_ack_phase:
        flow.receive(policy(1))
    ack = flow.receive(answer)
    assert isinstance(ack, ProvisionRequest)
    assert ack.policy_type is None and getattr(ack, field) == RemoteWipeStatus.Success
    assert flow.phase is ProvisionPhase.WIPE_ACKNOWLEDGE and flow.wipe == wipe
    # Whatever answers the acknowledgement (even nothing), the flow ends "wiped".
    outcome = flow.receive_element(None)
    assert isinstance(outcome, ProvisionOutcome)
    assert outcome.result is ProvisionResult.WIPED and outcome.wipe == wipe


def test_wipe_wins_over_a_key_in_the_same_answer():
    flow = ProvisionFlow("14.1")
    answer = ProvisionResponse(
        status=1, policy_type=WBXML_POLICY, policy_status=1, policy_key=3, remote_wipe=True
    )
    ack = flow.receive(answer)
    assert isinstance(ack, ProvisionRequest) and ack.remote_wipe_status == RemoteWipeStatus.Success


def test_status_165_resends_the_policy_request_once_with_device_information():
    info = DeviceInformation(model="Phone", friendly_name="Test phone")
    flow = ProvisionFlow("16.1")
    assert flow.request().device_information is None
    again = flow.device_information_required(info)
    assert again is not None and again.device_information == info
    assert flow.request() is again
    # It carried DeviceInformation: a second 165 stands.
    assert flow.device_information_required(info) is None


def test_status_165_to_the_acknowledgement_stands():
    flow = ProvisionFlow("16.1")
    flow.receive(policy(1))
    assert flow.device_information_required(DeviceInformation(model="Phone")) is None


def test_receive_element_reads_the_decoded_answer_and_refuses_an_empty_body():
    flow = ProvisionFlow("14.1")
    ack = flow.receive_element(policy(41).to_element("14.1"))
    assert isinstance(ack, ProvisionRequest) and ack.policy_key == 41
    with pytest.raises(ProtocolError, match="empty response body"):
        flow.receive_element(None)


def test_reprovision_once_per_command_and_never_for_provision():
    rule = Reprovision("Sync")
    assert rule.provision_required() is True
    assert rule.provision_required() is False  # asked again after a fresh key: give up
    assert rule.remote_wipe_requested() is True
    provision = Reprovision("Provision")
    assert provision.provision_required() is False
    assert provision.remote_wipe_requested() is False
