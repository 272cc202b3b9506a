"""Status codes of EAS response bodies, as enums named after MS-ASCMD / MS-ASPROV.

Servers send codes the spec does not list; :func:`status_of` keeps those as plain ``int`` so a
parser never crashes on them. Per-command codes are in MS-ASCMD 2.2.3.177.x, the global ones
(101-177, valid for any command) in MS-ASCMD 2.2.2.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TypeVar, overload

__all__ = [
    "CommonStatus",
    "FindStatus",
    "FolderCreateStatus",
    "FolderDeleteStatus",
    "FolderSyncStatus",
    "FolderUpdateStatus",
    "GetItemEstimateStatus",
    "ItemOperationsStatus",
    "MeetingResponseStatus",
    "MoveItemsStatus",
    "PingStatus",
    "PolicyAckStatus",
    "PolicyStatus",
    "ProvisionStatus",
    "RemoteWipeStatus",
    "SearchStatus",
    "SettingsStatus",
    "SyncStatus",
    "is_global_status",
    "is_provisioning_required",
    "status_name",
    "status_of",
]

_E = TypeVar("_E", bound=IntEnum)


@overload
def status_of(enum_cls: type[_E], code: int | str) -> _E | int: ...
@overload
def status_of(enum_cls: type[_E], code: None) -> None: ...
@overload
def status_of(enum_cls: type[_E], code: int | str | None) -> _E | int | None: ...
def status_of(enum_cls: type[_E], code: int | str | None) -> _E | int | None:
    """``enum_cls(code)`` when the code is known to the command, else the global status member
    (101-177), else the bare ``int``. ``None`` stays ``None``; text is read as an integer."""
    if code is None:
        return None
    value = int(code)
    try:
        return enum_cls(value)
    except ValueError:
        pass
    try:
        return CommonStatus(value)
    except ValueError:
        return value


class CommonStatus(IntEnum):
    """Global status codes any command may return (MS-ASCMD 2.2.2)."""

    InvalidContent = 101
    InvalidWBXML = 102
    InvalidXML = 103
    InvalidDateTime = 104
    InvalidCombinationOfIDs = 105
    InvalidIDs = 106
    InvalidMIME = 107
    DeviceIdMissingOrInvalid = 108
    DeviceTypeMissingOrInvalid = 109
    ServerError = 110
    ServerErrorRetryLater = 111
    ActiveDirectoryAccessDenied = 112
    MailboxQuotaExceeded = 113
    MailboxServerOffline = 114
    SendQuotaExceeded = 115
    MessageRecipientUnresolved = 116
    MessageReplyNotAllowed = 117
    MessagePreviouslySent = 118
    MessageHasNoRecipient = 119
    MailSubmissionFailed = 120
    MessageReplyFailed = 121
    AttachmentIsTooLarge = 122
    UserHasNoMailbox = 123
    UserCannotBeAnonymous = 124
    UserPrincipalCouldNotBeFound = 125
    UserDisabledForSync = 126
    UserOnNewMailboxCannotSync = 127
    UserOnLegacyMailboxCannotSync = 128
    DeviceIsBlockedForThisUser = 129
    AccessDenied = 130
    AccountDisabled = 131
    SyncStateNotFound = 132
    SyncStateLocked = 133
    SyncStateCorrupt = 134
    SyncStateAlreadyExists = 135
    SyncStateVersionInvalid = 136
    CommandNotSupported = 137
    VersionNotSupported = 138
    DeviceNotFullyProvisionable = 139
    RemoteWipeRequested = 140
    LegacyDeviceOnStrictPolicy = 141
    DeviceNotProvisioned = 142
    PolicyRefresh = 143
    InvalidPolicyKey = 144
    ExternallyManagedDevicesNotAllowed = 145
    NoRecurrenceInCalendar = 146
    UnexpectedItemClass = 147
    RemoteServerHasNoSSL = 148
    InvalidStoredRequest = 149
    ItemNotFound = 150
    TooManyFolders = 151
    NoFoldersFound = 152
    ItemsLostAfterMove = 153
    FailureInMoveOperation = 154
    MoveCommandDisallowedForNonPersistentMoveAction = 155
    MoveCommandInvalidDestinationFolder = 156
    AvailabilityTooManyRecipients = 160
    AvailabilityDLLimitReached = 161
    AvailabilityTransientFailure = 162
    AvailabilityFailure = 163
    BodyPartPreferenceTypeNotSupported = 164
    DeviceInformationRequired = 165
    InvalidAccountId = 166
    AccountSendDisabled = 167
    IRM_FeatureDisabled = 168
    IRM_TransientError = 169
    IRM_PermanentError = 170
    IRM_InvalidTemplateID = 171
    IRM_OperationNotPermitted = 172
    NoPicture = 173
    PictureTooLarge = 174
    PictureLimitReached = 175
    BodyPart_ConversationTooLarge = 176
    MaximumDevicesReached = 177


def is_global_status(code: int | None) -> bool:
    """Whether ``code`` is in the global range 101-177 (MS-ASCMD 2.2.2)."""
    return code is not None and 101 <= int(code) <= 177


def is_provisioning_required(code: int | None) -> bool:
    """Status 142, 143 or 144: the client must run Provision again (MS-ASPROV 3.1.5.1)."""
    return code is not None and 142 <= int(code) <= 144


def status_name(code: int | None) -> str | None:
    """The spec name of a global status code, or None."""
    if code is None:
        return None
    try:
        return CommonStatus(int(code)).name
    except ValueError:
        return None


class PingStatus(IntEnum):
    """Ping Status (MS-ASCMD 2.2.3.177.11)."""

    HeartbeatExpired = 1  # no changes within the heartbeat; ping again
    ChangesOccurred = 2  # Folders lists the folders to sync
    MissingParameters = 3  # resend with HeartbeatInterval and Folders
    SyntaxError = 4
    InvalidHeartbeatInterval = 5  # HeartbeatInterval carries the allowed min or max
    TooManyFolders = 6  # MaxFolders carries the limit
    FolderHierarchySyncRequired = 7  # run FolderSync
    ServerError = 8


class SyncStatus(IntEnum):
    """Sync Status (MS-ASCMD 2.2.3.177.17)."""

    Success = 1
    InvalidSyncKey = 3  # restart the collection from SyncKey 0
    ProtocolError = 4
    ServerError = 5
    ConversionError = 6  # the client's item could not be converted
    Conflict = 7  # the server's object wins
    ObjectNotFound = 8
    CannotComplete = 9  # e.g. the user's mailbox is out of space
    FolderHierarchyChanged = 12  # run FolderSync
    IncompleteRequest = 13  # resend the full Sync request
    InvalidWaitOrHeartbeatInterval = 14  # Limit carries the bound
    InvalidSyncCommand = 15  # e.g. too many collections
    Retry = 16


class FolderSyncStatus(IntEnum):
    """FolderSync Status (MS-ASCMD 2.2.3.177.5); FolderCreate/Update/Delete share the codes."""

    Success = 1
    FolderExists = 2
    SystemFolder = 3
    FolderNotFound = 4
    ParentNotFound = 5
    ServerError = 6
    RequestTimedOut = 8
    InvalidSyncKey = 9  # restart from SyncKey 0
    MalformedRequest = 10
    UnknownError = 11
    CodeUnknown = 12


# FolderCreate (2.2.3.177.3), FolderDelete (.4) and FolderUpdate (.6) use the same numbers.
FolderCreateStatus = FolderSyncStatus
FolderDeleteStatus = FolderSyncStatus
FolderUpdateStatus = FolderSyncStatus


class ProvisionStatus(IntEnum):
    """Provision/Status (MS-ASPROV 2.2.2.54.2)."""

    Success = 1
    ProtocolError = 2
    ServerError = 3
    DeviceExternallyManaged = 4


class PolicyStatus(IntEnum):
    """Policy/Status sent by the server (MS-ASPROV 2.2.2.54.1)."""

    Success = 1
    NoPolicy = 2
    UnknownPolicyType = 3
    PolicyDataCorrupt = 4
    WrongPolicyKey = 5  # the client acknowledged a policy key the server did not issue


class PolicyAckStatus(IntEnum):
    """Policy/Status sent by the client to acknowledge policies (MS-ASPROV 2.2.2.54.1)."""

    Success = 1
    PartialSuccess = 2  # at least the PIN was enabled
    NotApplied = 3
    ExternallyProvisioned = 4  # the client claims a third party provisioned it


class RemoteWipeStatus(IntEnum):
    """RemoteWipe/Status sent by the client (MS-ASPROV 2.2.2.54.3)."""

    Success = 1
    Failure = 2


class GetItemEstimateStatus(IntEnum):
    """GetItemEstimate Status (MS-ASCMD 2.2.3.177.7)."""

    Success = 1
    InvalidCollection = 2
    SyncStateNotPrimed = 3  # Sync with SyncKey 0 first
    InvalidSyncKey = 4


class ItemOperationsStatus(IntEnum):
    """ItemOperations Status (MS-ASCMD 2.2.3.177.8)."""

    Success = 1
    ProtocolError = 2
    ServerError = 3
    DocumentLibraryBadUri = 4
    DocumentLibraryAccessDenied = 5
    ObjectNotFound = 6
    DocumentLibraryConnectionFailed = 7
    InvalidByteRange = 8
    UnknownStore = 9
    EmptyFile = 10
    DataTooLarge = 11
    IOFailure = 12
    ConversionFailed = 14
    InvalidAttachment = 15
    ResourceAccessDenied = 16
    PartialSuccess = 17
    CredentialsRequired = 18


class SettingsStatus(IntEnum):
    """Settings Status (MS-ASCMD 2.2.3.177.15); DeviceInformation/Status uses it too."""

    Success = 1
    ProtocolError = 2
    AccessDenied = 3
    ServerUnavailable = 4
    InvalidArguments = 5
    ConflictingArguments = 6
    DeniedByPolicy = 7


class MoveItemsStatus(IntEnum):
    """MoveItems Status (MS-ASCMD 2.2.3.177.10); note 3, not 1, is success."""

    InvalidSourceId = 1
    InvalidDestinationId = 2
    Success = 3
    SameSourceAndDestination = 4
    CannotMove = 5
    SourceOrDestinationLocked = 7


class MeetingResponseStatus(IntEnum):
    """MeetingResponse Status (MS-ASCMD 2.2.3.177.9)."""

    Success = 1
    InvalidMeetingRequest = 2
    MailboxError = 3
    ServerError = 4


class SearchStatus(IntEnum):
    """Search Status (MS-ASCMD 2.2.3.177.13): of the whole request (1, 3) and of a Store."""

    Success = 1
    InvalidRequest = 2
    ServerError = 3
    BadLink = 4
    AccessDenied = 5
    NotFound = 6
    ConnectionFailed = 7
    TooComplex = 8
    TimedOut = 10
    FolderSyncRequired = 11
    EndOfRetrievableRange = 12
    AccessBlocked = 13
    CredentialsRequired = 14


class FindStatus(IntEnum):
    """Find Status (MS-ASCMD 2.2.3.177.2, 16.1)."""

    Success = 1
    InvalidRequest = 2
    FolderSyncRequired = 3
    StartOfRangeNotZero = 4
