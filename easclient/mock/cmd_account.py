"""Provision (MS-ASPROV), FolderSync (MS-ASCMD 2.2.1.5) and Settings (2.2.1.18), server side."""

from __future__ import annotations

from easclient.protocol.foldersync import (
    FolderAdd,
    FolderChange,
    FolderDelete,
    FolderSyncRequest,
    FolderSyncResponse,
    FolderUpdate,
)
from easclient.protocol.provision import (
    POLICY_TYPE_WAP,
    ProvisionRequest,
    ProvisionResponse,
    policy_type_for,
)
from easclient.protocol.settings import (
    SettingsRequest,
    SettingsResponse,
    UserAccount,
    UserInformation,
)
from easclient.protocol.status import (
    CommonStatus,
    FolderSyncStatus,
    PolicyStatus,
    ProvisionStatus,
    SettingsStatus,
)
from easclient.protocol.versions import version_at_least

from .config import Quirk
from .context import Answer, Context, StatusAnswer

#: The policy the mock hands out (MS-ASPROV 2.2.2.27 EASProvisionDoc): lenient, like a
#: default Exchange mailbox policy, so any device can comply.
DEFAULT_POLICY: dict[str, str] = {
    "DevicePasswordEnabled": "0",
    "AlphanumericDevicePasswordRequired": "0",
    "PasswordRecoveryEnabled": "0",
    "RequireStorageCardEncryption": "0",
    "AttachmentsEnabled": "1",
    "MinDevicePasswordLength": "4",
    "MaxInactivityTimeDeviceLock": "900",
    "MaxDevicePasswordFailedAttempts": "8",
    "AllowSimpleDevicePassword": "1",
    "AllowStorageCard": "1",
    "AllowCamera": "1",
    "RequireDeviceEncryption": "0",
    "AllowHTMLEmail": "1",
    "MaxAttachmentSize": "10485760",
}
#: Protocol 2.5: the policy is WAP provisioning XML in a string (MS-ASPROV 2.2.2.23).
WAP_POLICY = (
    '<wap-provisioningdoc><characteristic type="SecurityPolicy">'
    '<parm name="4131" value="1"/></characteristic></wap-provisioningdoc>'
)


def _provision_answer(ctx: Context, response: ProvisionResponse) -> Answer:
    return Answer(element=response.to_element(ctx.version))


async def handle_provision(ctx: Context) -> Answer:
    """Two-phase provisioning (MS-ASPROV 3.2.5.1): a temporary PolicyKey with the policy, then,
    on acknowledgement, the final key. A pending remote wipe is announced instead, and the
    device's wipe acknowledgement ends it."""
    request = ProvisionRequest.from_element(ctx.body)
    device, version = ctx.device, ctx.version
    if (
        request.remote_wipe_status is not None
        or request.account_only_remote_wipe_status is not None
    ):
        device.wiped = True
        device.remote_wipe = device.account_only_wipe = False
        device.policy_key = device.pending_policy_key = None
        return _provision_answer(ctx, ProvisionResponse(ProvisionStatus.Success))
    info_status = None
    if request.device_information is not None:
        device.device_information = request.device_information
        info_status = SettingsStatus.Success
    elif version_at_least(version, "16.0") and request.policy_key is None:
        raise StatusAnswer(CommonStatus.DeviceInformationRequired)
    if device.remote_wipe or device.account_only_wipe:
        return _provision_answer(
            ctx,
            ProvisionResponse(
                ProvisionStatus.Success,
                remote_wipe=device.remote_wipe,
                account_only_remote_wipe=device.account_only_wipe and not device.remote_wipe,
                device_information_status=info_status,
            ),
        )
    if Quirk.NO_POLICY in ctx.state.personality.quirks:
        # SOGo: "no policy for this client" (MS-ASPROV 2.2.2.54.1 Status 2) and no PolicyKey,
        # on the first request and on an acknowledgement alike.
        return _provision_answer(
            ctx,
            ProvisionResponse(
                ProvisionStatus.Success,
                request.policy_type or policy_type_for(version),
                PolicyStatus.NoPolicy,
                device_information_status=info_status,
            ),
        )
    if request.policy_type is None:
        return _provision_answer(ctx, ProvisionResponse(ProvisionStatus.ProtocolError))
    expected = policy_type_for(version)
    if request.policy_type != expected:
        return _provision_answer(
            ctx,
            ProvisionResponse(
                ProvisionStatus.Success, request.policy_type, PolicyStatus.UnknownPolicyType
            ),
        )
    if request.policy_key is None:
        device.pending_policy_key = ctx.state.new_policy_key()
        data: str | dict[str, str | list[str]] = (
            WAP_POLICY if expected == POLICY_TYPE_WAP else dict(DEFAULT_POLICY)
        )
        return _provision_answer(
            ctx,
            ProvisionResponse(
                ProvisionStatus.Success,
                expected,
                PolicyStatus.Success,
                device.pending_policy_key,
                data,
                device_information_status=info_status,
            ),
        )
    if request.policy_key != device.pending_policy_key:
        return _provision_answer(
            ctx, ProvisionResponse(ProvisionStatus.Success, expected, PolicyStatus.WrongPolicyKey)
        )
    device.policy_key = ctx.state.new_policy_key()
    device.pending_policy_key = None
    device.wiped = False
    return _provision_answer(
        ctx,
        ProvisionResponse(
            ProvisionStatus.Success,
            expected,
            PolicyStatus.Success,
            device.policy_key,
            device_information_status=info_status,
        ),
    )


async def handle_folder_sync(ctx: Context) -> Answer:
    """FolderSync: every folder on SyncKey 0; on the current key what changed since the device
    was last told (folders other devices created, renamed or deleted); 9 on any other key."""
    request = FolderSyncRequest.from_element(ctx.body)
    device, box = ctx.device, ctx.mailbox
    now = box.hierarchy()
    if request.sync_key == "0":
        key = device.reset_hierarchy()
        device.known_folders = now
        changes: tuple[FolderChange, ...] = tuple(
            FolderAdd(sid, parent, name, type_) for sid, (parent, name, type_) in now.items()
        )
        response = FolderSyncResponse(FolderSyncStatus.Success, key, changes)
    elif request.sync_key == device.hierarchy_key:
        known = device.known_folders
        changes = (
            *(FolderAdd(sid, *now[sid]) for sid in now if sid not in known),
            *(
                FolderUpdate(sid, now[sid][0], now[sid][1], now[sid][2])
                for sid in now
                if sid in known and known[sid] != now[sid]
            ),
            *(FolderDelete(sid) for sid in known if sid not in now),
        )
        key = device.advance_hierarchy(now) if changes else device.hierarchy_key
        response = FolderSyncResponse(FolderSyncStatus.Success, key, changes)
    else:
        response = FolderSyncResponse(FolderSyncStatus.InvalidSyncKey)
    return Answer(element=response.to_element(ctx.version))


async def handle_settings(ctx: Context) -> Answer:
    """Settings: DeviceInformation Set is stored; UserInformation Get lists the address."""
    request = SettingsRequest.from_element(ctx.body)
    info_status = None
    if request.device_information is not None:
        ctx.device.device_information = request.device_information
        info_status = SettingsStatus.Success
    user_info = None
    if request.get_user_information:
        user = ctx.user
        user_info = UserInformation(
            SettingsStatus.Success,
            email_addresses=(user.address,),
            accounts=(
                UserAccount(
                    account_id=user.name,
                    account_name=user.name,
                    user_display_name=user.name,
                    email_addresses=(user.address,),
                    primary_smtp_address=user.address,
                ),
            ),
        )
    response = SettingsResponse(SettingsStatus.Success, info_status, user_info)
    element = response.to_element(ctx.version)
    if user_info is not None and Quirk.SETTINGS_USERINFO_NO_STATUS in ctx.state.personality.quirks:
        # SOGo leaves out the Status MS-ASCMD 2.2.3.177.15 puts first in UserInformation.
        info = element.find("Settings:UserInformation")
        if info is not None:
            info.children = [c for c in info.children if c.tag != "Settings:Status"]
    return Answer(element=element)
