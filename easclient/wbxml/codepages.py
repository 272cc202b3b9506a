"""The EAS code pages (MS-ASWBXML 2.1.2.1) as data: page, namespace, tag name <-> token, versions.

Each page is one text block, a tag a line::

    TOKEN NAME [SINCE[-UNTIL]] [opaque]    # optional comment

TOKEN is the tag's token in hex without the 0x40 content bit; SINCE / UNTIL are the first and last
protocol versions that have the tag (default: every version, the spec's "All"); ``opaque`` marks the
elements whose data type is a byte array (MS-ASDTYPE 2.7.1: "MUST be encoded and transmitted as
WBXML opaque data") and that the encoder therefore writes as OPAQUE (see EAS-FACTS 5.3).

Where MS-ASWBXML gives no version for a tag, the tag carries the version in which its page (the
command or class that owns the namespace) first appeared; the page comments say which. Names are
spelled as MS-ASCMD's XML (and MS-ASWBXML's tables) spell them, e.g. ``Email:ReplyTo``,
``ValidateCert:CheckCRL``, ``Settings:SMTPAddress``.

Tags that only older implementations know (libwbxml's ``AirSync:RTFTruncation``, ``NotifyGUID``,
``Version``; ``Contacts:Rtf``; ``Email:AttRemoved``; ``FolderHierarchy:Response`` …) are not in the
spec's tables and are left out: the decoder's lenient mode reports them as unknown tokens instead.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The protocol versions of MS-ASHTTP 2.2.1.1.2.6, oldest first.
VERSIONS: tuple[str, ...] = ("2.5", "12.0", "12.1", "14.0", "14.1", "16.0", "16.1")
_RANK = {v: i for i, v in enumerate(VERSIONS)}


@dataclass(frozen=True, slots=True)
class Tag:
    """One tag of one code page."""

    page: int
    token: int
    namespace: str
    name: str
    since: str = VERSIONS[0]
    until: str = VERSIONS[-1]
    opaque: bool = False

    @property
    def qualified(self) -> str:
        """``Namespace:Name``, the form the element tree uses."""
        return f"{self.namespace}:{self.name}"

    def in_version(self, version: str) -> bool:
        """Whether protocol ``version`` has this tag."""
        rank = _RANK[version]
        return _RANK[self.since] <= rank <= _RANK[self.until]


@dataclass(frozen=True, slots=True)
class CodePage:
    number: int
    namespace: str
    tags: tuple[Tag, ...]


_TABLE: dict[int, tuple[str, str]] = {
    # 2.1.2.1.1. AirSync (Sync command, MS-ASCMD 2.2.1.21).
    0: (
        "AirSync",
        """
        05 Sync
        06 Responses
        07 Add
        08 Change
        09 Delete
        0A Fetch
        0B SyncKey
        0C ClientId
        0D ServerId
        0E Status
        0F Collection
        10 Class
        12 CollectionId
        13 GetChanges
        14 MoreAvailable
        15 WindowSize
        16 Commands
        17 Options
        18 FilterType
        19 Truncation 2.5-2.5       # 2.5 body truncation; AirSyncBase:BodyPreference from 12.0
        1B Conflict
        1C Collections
        1D ApplicationData
        1E DeletesAsMoves
        20 Supported
        21 SoftDelete
        22 MIMESupport
        23 MIMETruncation
        24 Wait 12.1                # the 12.1 Sync additions: Wait, Limit, Partial
        25 Limit 12.1
        26 Partial 12.1
        27 ConversationMode 14.0
        28 MaxItems 14.0
        29 HeartbeatInterval 14.0
        """,
    ),
    # 2.1.2.1.2. Contacts (MS-ASCNTC). Body/BodySize/BodyTruncated are the 2.5 body, replaced by
    # AirSyncBase:Body in 12.0.
    1: (
        "Contacts",
        """
        05 Anniversary
        06 AssistantName
        07 AssistantPhoneNumber
        08 Birthday
        09 Body 2.5-2.5
        0A BodySize 2.5-2.5
        0B BodyTruncated 2.5-2.5
        0C Business2PhoneNumber
        0D BusinessAddressCity
        0E BusinessAddressCountry
        0F BusinessAddressPostalCode
        10 BusinessAddressState
        11 BusinessAddressStreet
        12 BusinessFaxNumber
        13 BusinessPhoneNumber
        14 CarPhoneNumber
        15 Categories
        16 Category
        17 Children
        18 Child
        19 CompanyName
        1A Department
        1B Email1Address
        1C Email2Address
        1D Email3Address
        1E FileAs
        1F FirstName
        20 Home2PhoneNumber
        21 HomeAddressCity
        22 HomeAddressCountry
        23 HomeAddressPostalCode
        24 HomeAddressState
        25 HomeAddressStreet
        26 HomeFaxNumber
        27 HomePhoneNumber
        28 JobTitle
        29 LastName
        2A MiddleName
        2B MobilePhoneNumber
        2C OfficeLocation
        2D OtherAddressCity
        2E OtherAddressCountry
        2F OtherAddressPostalCode
        30 OtherAddressState
        31 OtherAddressStreet
        32 PagerNumber
        33 RadioPhoneNumber
        34 Spouse
        35 Suffix
        36 Title
        37 WebPage
        38 YomiCompanyName
        39 YomiFirstName
        3A YomiLastName
        3C Picture                  # base64 text (MS-ASCNTC 2.2.2.58: string), not opaque
        3D Alias 14.0
        3E WeightedRank 14.0
        """,
    ),
    # 2.1.2.1.3. Email (MS-ASEMAIL). The 2.5 attachment, body and MIME tags were replaced by
    # AirSyncBase in 12.0; 16.0 moved Location to AirSyncBase and GlobalObjId to Calendar:UID.
    2: (
        "Email",
        """
        05 Attachment 2.5-2.5
        06 Attachments 2.5-2.5
        07 AttName 2.5-2.5
        08 AttSize 2.5-2.5
        09 AttOid 2.5-2.5
        0A AttMethod 2.5-2.5
        0C Body 2.5-2.5
        0D BodySize 2.5-2.5
        0E BodyTruncated 2.5-2.5
        0F DateReceived
        10 DisplayName 2.5-2.5
        11 DisplayTo
        12 Importance
        13 MessageClass
        14 Subject
        15 Read
        16 To
        17 Cc
        18 From
        19 ReplyTo
        1A AllDayEvent
        1B Categories 14.0
        1C Category 14.0
        1D DtStamp
        1E EndTime
        1F InstanceType
        20 BusyStatus
        21 Location 2.5-14.1
        22 MeetingRequest
        23 Organizer
        24 RecurrenceId
        25 Reminder
        26 ResponseRequested
        27 Recurrences
        28 Recurrence
        29 Type
        2A Until
        2B Occurrences
        2C Interval
        2D DayOfWeek
        2E DayOfMonth
        2F WeekOfMonth
        30 MonthOfYear
        31 StartTime
        32 Sensitivity
        33 TimeZone
        34 GlobalObjId 2.5-14.1
        35 ThreadTopic
        36 MIMEData 2.5-2.5
        37 MIMETruncated 2.5-2.5
        38 MIMESize 2.5-2.5
        39 InternetCPID
        3A Flag 12.0
        3B Status 12.0              # the flag status (child of Flag)
        3C ContentClass 12.0
        3D FlagType 12.0
        3E CompleteTime 12.0
        3F DisallowNewTimeProposal 14.0
        """,
    ),
    # 2.1.2.1.4. AirNotify: "no longer in use", tokens 05-17 defined. The spec gives neither
    # versions nor uses; the page predates 2.5 (AUTD of EAS 1.0/2.0), so the tags are marked with
    # the oldest version the table knows, 2.5 only, which keeps a strict encoder for any current
    # version from emitting them. Names as libwbxml and Z-Push/grommunio carry them.
    3: (
        "AirNotify",
        """
        05 Notify 2.5-2.5
        06 Notification 2.5-2.5
        07 Version 2.5-2.5
        08 LifeTime 2.5-2.5
        09 DeviceInfo 2.5-2.5
        0A Enable 2.5-2.5
        0B Folder 2.5-2.5
        0C ServerId 2.5-2.5
        0D DeviceAddress 2.5-2.5
        0E ValidCarrierProfiles 2.5-2.5
        0F CarrierProfile 2.5-2.5
        10 Status 2.5-2.5
        11 Responses 2.5-2.5
        12 Devices 2.5-2.5
        13 Device 2.5-2.5
        14 Id 2.5-2.5
        15 Expiry 2.5-2.5
        16 NotifyGUID 2.5-2.5
        17 DeviceFriendlyName 2.5-2.5
        """,
    ),
    # 2.1.2.1.5. Calendar (MS-ASCAL). 16.0 replaced Location with AirSyncBase:Location and
    # ExceptionStartTime with AirSyncBase:InstanceId.
    4: (
        "Calendar",
        """
        05 Timezone
        06 AllDayEvent
        07 Attendees
        08 Attendee
        09 Email
        0A Name
        0B Body 2.5-2.5
        0C BodyTruncated 2.5-2.5
        0D BusyStatus
        0E Categories
        0F Category
        11 DtStamp
        12 EndTime
        13 Exception
        14 Exceptions
        15 Deleted
        16 ExceptionStartTime 2.5-14.1
        17 Location 2.5-14.1
        18 MeetingStatus
        19 OrganizerEmail
        1A OrganizerName
        1B Recurrence
        1C Type
        1D Until
        1E Occurrences
        1F Interval
        20 DayOfWeek
        21 DayOfMonth
        22 WeekOfMonth
        23 MonthOfYear
        24 Reminder
        25 Sensitivity
        26 Subject
        27 StartTime
        28 UID
        29 AttendeeStatus 12.0
        2A AttendeeType 12.0
        33 DisallowNewTimeProposal 14.0
        34 ResponseRequested 14.0
        35 AppointmentReplyTime 14.0
        36 ResponseType 14.0
        37 CalendarType 14.0
        38 IsLeapMonth 14.0
        39 FirstDayOfWeek 14.1
        3A OnlineMeetingConfLink 14.1
        3B OnlineMeetingExternalLink 14.1
        3C ClientUid 16.0
        """,
    ),
    # 2.1.2.1.6. Move (MoveItems command).
    5: (
        "Move",
        """
        05 MoveItems
        06 Move
        07 SrcMsgId
        08 SrcFldId
        09 DstFldId
        0A Response
        0B Status
        0C DstMsgId
        """,
    ),
    # 2.1.2.1.7. GetItemEstimate. From 14.0 the class goes in airsync:Options/airsync:Class
    # (MS-ASCMD 2.2.3.27.2). Version and DateTime are listed by earlier MS-ASWBXML revisions as
    # "supported only when the MS-ASProtocolVersion header is set to 12.1"; kept so that such
    # traffic still decodes.
    6: (
        "GetItemEstimate",
        """
        05 GetItemEstimate
        06 Version 12.1-12.1
        07 Collections
        08 Collection
        09 Class 2.5-12.1
        0A CollectionId
        0B DateTime 12.1-12.1
        0C Estimate
        0D Response
        0E Status
        """,
    ),
    # 2.1.2.1.8. FolderHierarchy. Folders/Folder belong to the pre-14.0 hierarchy commands.
    7: (
        "FolderHierarchy",
        """
        05 Folders 2.5-12.1
        06 Folder 2.5-12.1
        07 DisplayName
        08 ServerId
        09 ParentId
        0A Type
        0C Status
        0E Changes
        0F Add
        10 Delete
        11 Update
        12 SyncKey
        13 FolderCreate
        14 FolderDelete
        15 FolderUpdate
        16 FolderSync
        17 Count
        """,
    ),
    # 2.1.2.1.9. MeetingResponse. SendResponse and the time proposal in it came with 16.0
    # (MS-ASCMD 2.2.1.11, 2.2.3.140-141).
    8: (
        "MeetingResponse",
        """
        05 CalendarId
        06 CollectionId
        07 MeetingResponse
        08 RequestId
        09 Request
        0A Result
        0B Status
        0C UserResponse
        0E InstanceId 14.1
        10 ProposedStartTime 16.0
        11 ProposedEndTime 16.0
        12 SendResponse 16.0
        """,
    ),
    # 2.1.2.1.10. Tasks (MS-ASTASK).
    9: (
        "Tasks",
        """
        05 Body 2.5-2.5
        06 BodySize 2.5-2.5
        07 BodyTruncated 2.5-2.5
        08 Categories
        09 Category
        0A Complete
        0B DateCompleted
        0C DueDate
        0D UtcDueDate
        0E Importance
        0F Recurrence
        10 Type
        11 Start
        12 Until
        13 Occurrences
        14 Interval
        15 DayOfMonth
        16 DayOfWeek
        17 WeekOfMonth
        18 MonthOfYear
        19 Regenerate
        1A DeadOccur
        1B ReminderSet
        1C ReminderTime
        1D Sensitivity
        1E StartDate
        1F UtcStartDate
        20 Subject
        22 OrdinalDate 12.0
        23 SubOrdinalDate 12.0
        24 CalendarType 14.0
        25 IsLeapMonth 14.0
        26 FirstDayOfWeek 14.1
        """,
    ),
    # 2.1.2.1.11. ResolveRecipients; versions as the spec table gives them.
    10: (
        "ResolveRecipients",
        """
        05 ResolveRecipients
        06 Response
        07 Status
        08 Type
        09 Recipient
        0A DisplayName
        0B EmailAddress
        0C Certificates
        0D Certificate
        0E MiniCertificate
        0F Options
        10 To
        11 CertificateRetrieval
        12 RecipientCount
        13 MaxCertificates
        14 MaxAmbiguousRecipients
        15 CertificateCount
        16 Availability 14.0
        17 StartTime 14.0
        18 EndTime 14.0
        19 MergedFreeBusy 14.0
        1A Picture 14.1
        1B MaxSize 14.1
        1C Data 14.1 opaque         # contact photo, byte array (MS-ASCMD 2.2.3.39.3)
        1D MaxPictures 14.1
        """,
    ),
    # 2.1.2.1.12. ValidateCert.
    11: (
        "ValidateCert",
        """
        05 ValidateCert
        06 Certificates
        07 Certificate
        08 CertificateChain
        09 CheckCRL
        0A Status
        """,
    ),
    # 2.1.2.1.13. Contacts2; all "All" in the spec table.
    12: (
        "Contacts2",
        """
        05 CustomerId
        06 GovernmentId
        07 IMAddress
        08 IMAddress2
        09 IMAddress3
        0A ManagerName
        0B CompanyMainPhone
        0C AccountName
        0D NickName
        0E MMS
        """,
    ),
    # 2.1.2.1.14. Ping. AutdState is listed but "not used by the protocol".
    13: (
        "Ping",
        """
        05 Ping
        06 AutdState
        07 Status
        08 HeartbeatInterval
        09 Folders
        0A Folder
        0B Id
        0C Class
        0D MaxFolders
        """,
    ),
    # 2.1.2.1.15. Provision (MS-ASPROV). EASProvisionDoc and the first policy settings came with
    # 12.0, the rest of the settings with 12.1 (e.g. AllowBluetooth, MS-ASPROV 2.2.2.2);
    # AccountOnlyRemoteWipe is 16.1 only (MS-ASPROV 2.2.2.1).
    14: (
        "Provision",
        """
        05 Provision
        06 Policies
        07 Policy
        08 PolicyType
        09 PolicyKey
        0A Data
        0B Status
        0C RemoteWipe
        0D EASProvisionDoc 12.0
        0E DevicePasswordEnabled 12.0
        0F AlphanumericDevicePasswordRequired 12.0
        10 RequireStorageCardEncryption 12.0
        11 PasswordRecoveryEnabled 12.0
        13 AttachmentsEnabled 12.0
        14 MinDevicePasswordLength 12.0
        15 MaxInactivityTimeDeviceLock 12.0
        16 MaxDevicePasswordFailedAttempts 12.0
        17 MaxAttachmentSize 12.0
        18 AllowSimpleDevicePassword 12.0
        19 DevicePasswordExpiration 12.0
        1A DevicePasswordHistory 12.0
        1B AllowStorageCard 12.1
        1C AllowCamera 12.1
        1D RequireDeviceEncryption 12.1
        1E AllowUnsignedApplications 12.1
        1F AllowUnsignedInstallationPackages 12.1
        20 MinDevicePasswordComplexCharacters 12.1
        21 AllowWiFi 12.1
        22 AllowTextMessaging 12.1
        23 AllowPOPIMAPEmail 12.1
        24 AllowBluetooth 12.1
        25 AllowIrDA 12.1
        26 RequireManualSyncWhenRoaming 12.1
        27 AllowDesktopSync 12.1
        28 MaxCalendarAgeFilter 12.1
        29 AllowHTMLEmail 12.1
        2A MaxEmailAgeFilter 12.1
        2B MaxEmailBodyTruncationSize 12.1
        2C MaxEmailHTMLBodyTruncationSize 12.1
        2D RequireSignedSMIMEMessages 12.1
        2E RequireEncryptedSMIMEMessages 12.1
        2F RequireSignedSMIMEAlgorithm 12.1
        30 RequireEncryptionSMIMEAlgorithm 12.1
        31 AllowSMIMEEncryptionAlgorithmNegotiation 12.1
        32 AllowSMIMESoftCerts 12.1
        33 AllowBrowser 12.1
        34 AllowConsumerEmail 12.1
        35 AllowRemoteDesktop 12.1
        36 AllowInternetSharing 12.1
        37 UnapprovedInROMApplicationList 12.1
        38 ApplicationName 12.1
        39 ApprovedApplicationList 12.1
        3A Hash 12.1
        3B AccountOnlyRemoteWipe 16.1
        """,
    ),
    # 2.1.2.1.16. Search. 2.5 searched the GAL only; the mailbox query elements came with 12.0,
    # the document-library credentials with 12.1.
    15: (
        "Search",
        """
        05 Search
        07 Store
        08 Name
        09 Query
        0A Options
        0B Range
        0C Status
        0D Response
        0E Result
        0F Properties
        10 Total
        11 EqualTo 12.0
        12 Value 12.0
        13 And 12.0
        14 Or 12.0
        15 FreeText 12.0
        17 DeepTraversal 12.0
        18 LongId 12.0
        19 RebuildResults 12.0
        1A LessThan 12.0
        1B GreaterThan 12.0
        1E UserName 12.1
        1F Password 12.1
        20 ConversationId 14.0 opaque   # byte array (MS-ASCON 2.2.2.3)
        21 Picture 14.1
        22 MaxSize 14.1
        23 MaxPictures 14.1
        """,
    ),
    # 2.1.2.1.17. GAL (results of Search, ResolveRecipients and Find).
    16: (
        "GAL",
        """
        05 DisplayName
        06 Phone
        07 Office
        08 Title
        09 Company
        0A Alias
        0B FirstName
        0C LastName
        0D HomePhone
        0E MobilePhone
        0F EmailAddress
        10 Picture 14.1
        11 Status 14.1
        12 Data 14.1 opaque         # contact photo, byte array (MS-ASCMD 2.2.3.39.1, .39.4)
        """,
    ),
    # 2.1.2.1.18. AirSyncBase (MS-ASAIRS), a 12.0 page. 16.0 added attachment Add/Delete and
    # Location.
    17: (
        "AirSyncBase",
        """
        05 BodyPreference 12.0
        06 Type 12.0
        07 TruncationSize 12.0
        08 AllOrNone 12.0
        0A Body 12.0
        0B Data 12.0
        0C EstimatedDataSize 12.0
        0D Truncated 12.0
        0E Attachments 12.0
        0F Attachment 12.0
        10 DisplayName 12.0
        11 FileReference 12.0
        12 Method 12.0
        13 ContentId 12.0
        14 ContentLocation 12.0
        15 IsInline 12.0
        16 NativeBodyType 12.0
        17 ContentType 12.0
        18 Preview 14.0
        19 BodyPartPreference 14.1
        1A BodyPart 14.1
        1B Status 14.1
        1C Add 16.0
        1D Delete 16.0
        1E ClientId 16.0
        1F Content 16.0 opaque      # attachment bytes, byte array (MS-ASAIRS 2.2.2.15)
        20 Location 16.0
        21 Annotation 16.0
        22 Street 16.0
        23 City 16.0
        24 State 16.0
        25 Country 16.0
        26 PostalCode 16.0
        27 Latitude 16.0
        28 Longitude 16.0
        29 Accuracy 16.0
        2A Altitude 16.0
        2B AltitudeAccuracy 16.0
        2C LocationUri 16.0
        2D InstanceId 16.0
        """,
    ),
    # 2.1.2.1.19. Settings, a 12.0 page (MS-ASCMD 2.2.1.18).
    18: (
        "Settings",
        """
        05 Settings 12.0
        06 Status 12.0
        07 Get 12.0
        08 Set 12.0
        09 Oof 12.0
        0A OofState 12.0
        0B StartTime 12.0
        0C EndTime 12.0
        0D OofMessage 12.0
        0E AppliesToInternal 12.0
        0F AppliesToExternalKnown 12.0
        10 AppliesToExternalUnknown 12.0
        11 Enabled 12.0
        12 ReplyMessage 12.0
        13 BodyType 12.0
        14 DevicePassword 12.0
        15 Password 12.0
        16 DeviceInformation 12.0
        17 Model 12.0
        18 IMEI 12.0
        19 FriendlyName 12.0
        1A OS 12.0
        1B OSLanguage 12.0
        1C PhoneNumber 12.0
        1D UserInformation 12.0
        1E EmailAddresses 12.0
        1F SMTPAddress 12.0
        20 UserAgent 12.1
        21 EnableOutboundSMS 14.0
        22 MobileOperator 14.0
        23 PrimarySmtpAddress 14.1
        24 Accounts 14.1
        25 Account 14.1
        26 AccountId 14.1
        27 AccountName 14.1
        28 UserDisplayName 14.1
        29 SendDisabled 14.1
        2B RightsManagementInformation 14.1
        """,
    ),
    # 2.1.2.1.20. DocumentLibrary (MS-ASDOC), a 12.0 page.
    19: (
        "DocumentLibrary",
        """
        05 LinkId 12.0
        06 DisplayName 12.0
        07 IsFolder 12.0
        08 CreationDate 12.0
        09 LastModifiedDate 12.0
        0A IsHidden 12.0
        0B ContentLength 12.0
        0C ContentType 12.0
        """,
    ),
    # 2.1.2.1.21. ItemOperations, a 12.0 page. Data is base64 text (string), not a byte array.
    20: (
        "ItemOperations",
        """
        05 ItemOperations 12.0
        06 Fetch 12.0
        07 Store 12.0
        08 Options 12.0
        09 Range 12.0
        0A Total 12.0
        0B Properties 12.0
        0C Data 12.0
        0D Status 12.0
        0E Response 12.0
        0F Version 12.0
        10 Schema 12.0
        11 Part 12.0
        12 EmptyFolderContents 12.0
        13 DeleteSubFolders 12.0
        14 UserName 12.1
        15 Password 12.1
        16 Move 14.0
        17 DstFldId 14.0
        18 ConversationId 14.0 opaque   # byte array (MS-ASCON 2.2.2.3.1)
        19 MoveAlways 14.0
        """,
    ),
    # 2.1.2.1.22. ComposeMail, a 14.0 page (SendMail/SmartForward/SmartReply in WBXML).
    21: (
        "ComposeMail",
        """
        05 SendMail 14.0
        06 SmartForward 14.0
        07 SmartReply 14.0
        08 SaveInSentItems 14.0
        09 ReplaceMime 14.0
        0B Source 14.0
        0C FolderId 14.0
        0D ItemId 14.0
        0E LongId 14.0
        0F InstanceId 14.0
        10 Mime 14.0 opaque         # byte array, "an opaque BLOB" (MS-ASCMD 2.2.3.109)
        11 ClientId 14.0
        12 Status 14.0
        13 AccountId 14.1
        15 Forwardees 16.0
        16 Forwardee 16.0
        17 Name 16.0                # MS-ASCMD 2.2.3.120.3 (some tables say ForwardeeName)
        18 Email 16.0               # MS-ASCMD 2.2.3.53 (some tables say ForwardeeEmail)
        """,
    ),
    # 2.1.2.1.23. Email2 (MS-ASEMAIL), a 14.0 page.
    22: (
        "Email2",
        """
        05 UmCallerID 14.0
        06 UmUserNotes 14.0
        07 UmAttDuration 14.0
        08 UmAttOrder 14.0
        09 ConversationId 14.0 opaque       # byte array (MS-ASEMAIL, MS-ASCON)
        0A ConversationIndex 14.0 opaque    # byte array (MS-ASEMAIL, MS-ASCON)
        0B LastVerbExecuted 14.0
        0C LastVerbExecutionTime 14.0
        0D ReceivedAsBcc 14.0
        0E Sender 14.0
        0F CalendarType 14.0
        10 IsLeapMonth 14.0
        11 AccountId 14.1
        12 FirstDayOfWeek 14.1
        13 MeetingMessageType 14.1
        15 IsDraft 16.0
        16 Bcc 16.0
        17 Send 16.0
        """,
    ),
    # 2.1.2.1.24. Notes (MS-ASNOTE), a 14.0 page.
    23: (
        "Notes",
        """
        05 Subject 14.0
        06 MessageClass 14.0
        07 LastModifiedDate 14.0
        08 Categories 14.0
        09 Category 14.0
        """,
    ),
    # 2.1.2.1.25. RightsManagement (MS-ASRM), a 14.1 page.
    24: (
        "RightsManagement",
        """
        05 RightsManagementSupport 14.1
        06 RightsManagementTemplates 14.1
        07 RightsManagementTemplate 14.1
        08 RightsManagementLicense 14.1
        09 EditAllowed 14.1
        0A ReplyAllowed 14.1
        0B ReplyAllAllowed 14.1
        0C ForwardAllowed 14.1
        0D ModifyRecipientsAllowed 14.1
        0E ExtractAllowed 14.1
        0F PrintAllowed 14.1
        10 ExportAllowed 14.1
        11 ProgrammaticAccessAllowed 14.1
        12 Owner 14.1
        13 ContentExpiryDate 14.1
        14 TemplateID 14.1
        15 TemplateName 14.1
        16 TemplateDescription 14.1
        17 ContentOwner 14.1
        18 RemoveRightsManagementProtection 14.1
        """,
    ),
    # 2.1.2.1.26. Find (MS-ASCMD 2.2.1.2), 16.1 only.
    # MaxPictures/MaxSize/Picture are 0x20/0x21/0x22: that is what the MS-ASWBXML table for this
    # page lists (tokens 0x1A-0x1F are unassigned), and what Microsoft's own MS-ASWBXML test
    # suite, libwbxml, grommunio-sync and EAS-4-TbSync use. The 0x1A-0x1C of pyactivesync and
    # go-activesync is a renumbering without a source in the spec (EAS-FACTS 5.2).
    25: (
        "Find",
        """
        05 Find 16.1
        06 SearchId 16.1
        07 ExecuteSearch 16.1
        08 MailBoxSearchCriterion 16.1
        09 Query 16.1
        0A Status 16.1
        0B FreeText 16.1
        0C Options 16.1
        0D Range 16.1
        0E DeepTraversal 16.1
        11 Response 16.1
        12 Result 16.1
        13 Properties 16.1
        14 Preview 16.1
        15 HasAttachments 16.1
        16 Total 16.1
        17 DisplayCc 16.1
        18 DisplayBcc 16.1
        19 GalSearchCriterion 16.1
        20 MaxPictures 16.1
        21 MaxSize 16.1
        22 Picture 16.1
        """,
    ),
}


class CodePageTableError(ValueError):
    """The table text above is malformed (a programming error, caught at import and in tests)."""


def _parse(table: dict[int, tuple[str, str]]) -> dict[int, CodePage]:
    pages: dict[int, CodePage] = {}
    for number, (namespace, block) in sorted(table.items()):
        tags: list[Tag] = []
        seen_tokens: set[int] = set()
        seen_names: set[str] = set()
        for raw in block.strip().splitlines():
            line = raw.partition("#")[0].strip()
            if not line:
                continue
            fields = line.split()
            where = f"page {number} line {line!r}"
            try:
                token = int(fields[0], 16)
            except ValueError:
                raise CodePageTableError(f"{where}: token is not hex") from None
            if not 0x05 <= token <= 0x3F:
                raise CodePageTableError(f"{where}: token outside 0x05-0x3F")
            if len(fields) < 2:
                raise CodePageTableError(f"{where}: no tag name")
            since, until, opaque = VERSIONS[0], VERSIONS[-1], False
            for extra in fields[2:]:
                if extra == "opaque":
                    opaque = True
                else:
                    first, _, last = extra.partition("-")
                    since = first or since
                    until = last or until
            if since not in _RANK or until not in _RANK or _RANK[since] > _RANK[until]:
                raise CodePageTableError(f"{where}: bad version range {since}-{until}")
            name = fields[1]
            if token in seen_tokens or name in seen_names:
                raise CodePageTableError(f"{where}: duplicate token or name")
            seen_tokens.add(token)
            seen_names.add(name)
            tags.append(Tag(number, token, namespace, name, since, until, opaque))
        pages[number] = CodePage(number, namespace, tuple(tags))
    return pages


#: Every code page by number.
PAGES: dict[int, CodePage] = _parse(_TABLE)
#: (page, token) -> Tag
BY_TOKEN: dict[tuple[int, int], Tag] = {
    (t.page, t.token): t for p in PAGES.values() for t in p.tags
}
#: "Namespace:Name" -> Tag
BY_NAME: dict[str, Tag] = {t.qualified: t for p in PAGES.values() for t in p.tags}
#: namespace -> page number
PAGE_OF_NAMESPACE: dict[str, int] = {p.namespace: n for n, p in PAGES.items()}
#: The qualified names of the elements written as OPAQUE (byte arrays, MS-ASDTYPE 2.7.1).
OPAQUE_TAGS: frozenset[str] = frozenset(name for name, tag in BY_NAME.items() if tag.opaque)


def tag_for(name: str) -> Tag | None:
    """The tag for ``"Namespace:Name"``, or None when no code page has it.

    A ``"Namespace:"`` prefix with a trailing colon (as some XML writes ``xmlns="AirSync:"``) is
    accepted too; a bare name without a namespace is ambiguous across pages and finds nothing.
    """
    tag = BY_NAME.get(name)
    if tag is None and ":" in name:
        namespace, _, local = name.rpartition(":")
        tag = BY_NAME.get(f"{namespace.rstrip(':')}:{local}")
    return tag


def tags_in_version(version: str) -> list[Tag]:
    """Every tag that protocol ``version`` has, in page and token order."""
    if version not in _RANK:
        raise ValueError(f"not a protocol version: {version!r} (known: {', '.join(VERSIONS)})")
    return [t for p in PAGES.values() for t in p.tags if t.in_version(version)]
