"""Golden documents: MS-ASCMD's example requests and responses, with their WBXML bytes assembled
by hand from the token tables of MS-ASWBXML 2.1.2.1 (not produced by our encoder).

Each case is checked four ways: encode(tree) == bytes, decode(bytes) == tree,
from_xml(the example's XML) == tree, and from_xml(to_xml(tree)) == tree.
"""

from __future__ import annotations

import pytest

from easclient.wbxml import decode, encode, from_xml, ns, to_xml

A = ns("AirSync")
FH = ns("FolderHierarchy")
P = ns("Provision")
S = ns("Settings")
PG = ns("Ping")
EM = ns("Email")
B = ns("AirSyncBase")
IO = ns("ItemOperations")
CM = ns("ComposeMail")

HEADER = "03 01 6A 00"  # WBXML 1.3, public id 1 (unknown), UTF-8, empty string table


def wbxml(*parts: str | bytes) -> bytes:
    """Hex strings and raw bytes, joined."""
    return b"".join(bytes.fromhex(p) if isinstance(p, str) else p for p in parts)


def s(text: str) -> bytes:
    """STR_I: 0x03, the UTF-8 text, 0x00."""
    return b"\x03" + text.encode() + b"\x00"


# -- Provision (MS-ASPROV 4.1; MS-ASCMD 2.2.1.14) -----------------------------------------------
PROVISION_REQUEST_XML = """<?xml version="1.0" encoding="utf-8"?>
<Provision xmlns="Provision:" xmlns:settings="Settings:">
  <settings:DeviceInformation>
    <settings:Set>
      <settings:Model>Test 1.0</settings:Model>
      <settings:IMEI>012345678901234</settings:IMEI>
      <settings:FriendlyName>My Test App</settings:FriendlyName>
      <settings:OS>Test OS 1.0</settings:OS>
      <settings:OSLanguage>English</settings:OSLanguage>
      <settings:PhoneNumber>555-123-4567</settings:PhoneNumber>
      <settings:MobileOperator>My Phone Company</settings:MobileOperator>
      <settings:UserAgent>EAS-Test/1.0</settings:UserAgent>
    </settings:Set>
  </settings:DeviceInformation>
  <Policies>
    <Policy>
      <PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>
    </Policy>
  </Policies>
</Provision>
"""
PROVISION_REQUEST = P.Provision(
    S.DeviceInformation(
        S.Set(
            S.Model("Test 1.0"),
            S.IMEI("012345678901234"),
            S.FriendlyName("My Test App"),
            S.OS("Test OS 1.0"),
            S.OSLanguage("English"),
            S.PhoneNumber("555-123-4567"),
            S.MobileOperator("My Phone Company"),
            S.UserAgent("EAS-Test/1.0"),
        )
    ),
    P.Policies(P.Policy(P.PolicyType("MS-EAS-Provisioning-WBXML"))),
)
PROVISION_REQUEST_BYTES = wbxml(
    HEADER,
    "00 0E 45",  # SWITCH_PAGE Provision(14), Provision
    "00 12 56 48",  # SWITCH_PAGE Settings(18), DeviceInformation (0x16), Set (0x08)
    "57", s("Test 1.0"), "01",  # Model 0x17
    "58", s("012345678901234"), "01",  # IMEI 0x18
    "59", s("My Test App"), "01",  # FriendlyName 0x19
    "5A", s("Test OS 1.0"), "01",  # OS 0x1A
    "5B", s("English"), "01",  # OSLanguage 0x1B
    "5C", s("555-123-4567"), "01",  # PhoneNumber 0x1C
    "62", s("My Phone Company"), "01",  # MobileOperator 0x22
    "60", s("EAS-Test/1.0"), "01",  # UserAgent 0x20
    "01 01",  # END Set, END DeviceInformation
    "00 0E 46 47 48", s("MS-EAS-Provisioning-WBXML"), "01",  # Policies, Policy, PolicyType
    "01 01 01",  # END Policy, Policies, Provision
)  # fmt: skip

PROVISION_RESPONSE_XML = """<?xml version="1.0" encoding="utf-8"?>
<Provision xmlns="Provision:">
  <Status>1</Status>
  <Policies>
    <Policy>
      <PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>
      <Status>1</Status>
      <PolicyKey>1307199584</PolicyKey>
      <Data>
        <EASProvisionDoc>
          <DevicePasswordEnabled>1</DevicePasswordEnabled>
          <AlphanumericDevicePasswordRequired>0</AlphanumericDevicePasswordRequired>
          <MinDevicePasswordLength>4</MinDevicePasswordLength>
          <MaxInactivityTimeDeviceLock>900</MaxInactivityTimeDeviceLock>
          <AllowSimpleDevicePassword>1</AllowSimpleDevicePassword>
          <AllowCamera>1</AllowCamera>
          <UnapprovedInROMApplicationList/>
          <ApprovedApplicationList/>
        </EASProvisionDoc>
      </Data>
    </Policy>
  </Policies>
</Provision>
"""
PROVISION_RESPONSE = P.Provision(
    P.Status("1"),
    P.Policies(
        P.Policy(
            P.PolicyType("MS-EAS-Provisioning-WBXML"),
            P.Status("1"),
            P.PolicyKey("1307199584"),
            P.Data(
                P.EASProvisionDoc(
                    P.DevicePasswordEnabled("1"),
                    P.AlphanumericDevicePasswordRequired("0"),
                    P.MinDevicePasswordLength("4"),
                    P.MaxInactivityTimeDeviceLock("900"),
                    P.AllowSimpleDevicePassword("1"),
                    P.AllowCamera("1"),
                    P.UnapprovedInROMApplicationList(),
                    P.ApprovedApplicationList(),
                )
            ),
        )
    ),
)
PROVISION_RESPONSE_BYTES = wbxml(
    HEADER,
    "00 0E 45",  # Provision
    "4B", s("1"), "01",  # Status 0x0B
    "46 47",  # Policies 0x06, Policy 0x07
    "48", s("MS-EAS-Provisioning-WBXML"), "01",  # PolicyType 0x08
    "4B", s("1"), "01",  # Status
    "49", s("1307199584"), "01",  # PolicyKey 0x09
    "4A 4D",  # Data 0x0A, EASProvisionDoc 0x0D
    "4E", s("1"), "01",  # DevicePasswordEnabled 0x0E
    "4F", s("0"), "01",  # AlphanumericDevicePasswordRequired 0x0F
    "54", s("4"), "01",  # MinDevicePasswordLength 0x14
    "55", s("900"), "01",  # MaxInactivityTimeDeviceLock 0x15
    "58", s("1"), "01",  # AllowSimpleDevicePassword 0x18
    "5C", s("1"), "01",  # AllowCamera 0x1C
    "37",  # UnapprovedInROMApplicationList 0x37, empty: no content bit
    "39",  # ApprovedApplicationList 0x39, empty
    "01 01 01 01 01",  # END EASProvisionDoc, Data, Policy, Policies, Provision
)  # fmt: skip

PROVISION_ACK_XML = """<?xml version="1.0" encoding="utf-8"?>
<Provision xmlns="Provision:">
  <Policies>
    <Policy>
      <PolicyType>MS-EAS-Provisioning-WBXML</PolicyType>
      <PolicyKey>1307199584</PolicyKey>
      <Status>1</Status>
    </Policy>
  </Policies>
</Provision>
"""
PROVISION_ACK = P.Provision(
    P.Policies(
        P.Policy(
            P.PolicyType("MS-EAS-Provisioning-WBXML"), P.PolicyKey("1307199584"), P.Status("1")
        )
    )
)
PROVISION_ACK_BYTES = wbxml(
    HEADER,
    "00 0E 45 46 47",
    "48", s("MS-EAS-Provisioning-WBXML"), "01",
    "49", s("1307199584"), "01",
    "4B", s("1"), "01",
    "01 01 01",
)  # fmt: skip

# -- FolderSync (MS-ASCMD 2.2.1.5) ---------------------------------------------------------------
FOLDERSYNC_REQUEST_XML = """<?xml version="1.0" encoding="utf-8"?>
<FolderSync xmlns="FolderHierarchy:">
  <SyncKey>0</SyncKey>
</FolderSync>
"""
FOLDERSYNC_REQUEST = FH.FolderSync(FH.SyncKey("0"))
FOLDERSYNC_REQUEST_BYTES = wbxml(
    HEADER,
    "00 07 56",
    "52",
    s("0"),
    "01",
    "01",  # FolderSync 0x16, SyncKey 0x12
)

FOLDERSYNC_RESPONSE_XML = """<?xml version="1.0" encoding="utf-8"?>
<FolderSync xmlns="FolderHierarchy:">
  <Status>1</Status>
  <SyncKey>1</SyncKey>
  <Changes>
    <Count>3</Count>
    <Add>
      <ServerId>1</ServerId>
      <ParentId>0</ParentId>
      <DisplayName>Calendar</DisplayName>
      <Type>8</Type>
    </Add>
    <Add>
      <ServerId>2</ServerId>
      <ParentId>0</ParentId>
      <DisplayName>Contacts</DisplayName>
      <Type>9</Type>
    </Add>
    <Add>
      <ServerId>5</ServerId>
      <ParentId>0</ParentId>
      <DisplayName>Inbox</DisplayName>
      <Type>2</Type>
    </Add>
  </Changes>
</FolderSync>
"""
FOLDERSYNC_RESPONSE = FH.FolderSync(
    FH.Status("1"),
    FH.SyncKey("1"),
    FH.Changes(
        FH.Count("3"),
        FH.Add(FH.ServerId("1"), FH.ParentId("0"), FH.DisplayName("Calendar"), FH.Type("8")),
        FH.Add(FH.ServerId("2"), FH.ParentId("0"), FH.DisplayName("Contacts"), FH.Type("9")),
        FH.Add(FH.ServerId("5"), FH.ParentId("0"), FH.DisplayName("Inbox"), FH.Type("2")),
    ),
)
FOLDERSYNC_RESPONSE_BYTES = wbxml(
    HEADER,
    "00 07 56",  # FolderSync
    "4C", s("1"), "01",  # Status 0x0C
    "52", s("1"), "01",  # SyncKey 0x12
    "4E",  # Changes 0x0E
    "57", s("3"), "01",  # Count 0x17
    # Add 0x0F: ServerId 0x08, ParentId 0x09, DisplayName 0x07, Type 0x0A
    "4F 48", s("1"), "01 49", s("0"), "01 47", s("Calendar"), "01 4A", s("8"), "01 01",
    "4F 48", s("2"), "01 49", s("0"), "01 47", s("Contacts"), "01 4A", s("9"), "01 01",
    "4F 48", s("5"), "01 49", s("0"), "01 47", s("Inbox"), "01 4A", s("2"), "01 01",
    "01 01",  # END Changes, FolderSync
)  # fmt: skip

# -- Sync (MS-ASCMD 2.2.1.21) --------------------------------------------------------------------
SYNC_REQUEST_XML = """<?xml version="1.0" encoding="utf-8"?>
<Sync xmlns="AirSync:" xmlns:airsyncbase="AirSyncBase:">
  <Collections>
    <Collection>
      <SyncKey>1</SyncKey>
      <CollectionId>5</CollectionId>
      <DeletesAsMoves/>
      <GetChanges/>
      <WindowSize>100</WindowSize>
      <Options>
        <FilterType>3</FilterType>
        <airsyncbase:BodyPreference>
          <airsyncbase:Type>2</airsyncbase:Type>
          <airsyncbase:TruncationSize>5120</airsyncbase:TruncationSize>
        </airsyncbase:BodyPreference>
      </Options>
    </Collection>
  </Collections>
</Sync>
"""
SYNC_REQUEST = A.Sync(
    A.Collections(
        A.Collection(
            A.SyncKey("1"),
            A.CollectionId("5"),
            A.DeletesAsMoves(),
            A.GetChanges(),
            A.WindowSize("100"),
            A.Options(
                A.FilterType("3"),
                B.BodyPreference(B.Type("2"), B.TruncationSize("5120")),
            ),
        )
    )
)
SYNC_REQUEST_BYTES = wbxml(
    HEADER,
    "45 5C 4F",  # Sync 0x05, Collections 0x1C, Collection 0x0F (page 0 is the initial page)
    "4B", s("1"), "01",  # SyncKey 0x0B
    "52", s("5"), "01",  # CollectionId 0x12
    "1E 13",  # DeletesAsMoves 0x1E, GetChanges 0x13: empty
    "55", s("100"), "01",  # WindowSize 0x15
    "57",  # Options 0x17
    "58", s("3"), "01",  # FilterType 0x18
    "00 11 45",  # SWITCH_PAGE AirSyncBase(17), BodyPreference 0x05
    "46", s("2"), "01",  # Type 0x06
    "47", s("5120"), "01",  # TruncationSize 0x07
    "01 01 01 01 01",  # END BodyPreference, Options, Collection, Collections, Sync
)  # fmt: skip

SYNC_RESPONSE_XML = """<?xml version="1.0" encoding="utf-8"?>
<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:">
  <Collections>
    <Collection>
      <SyncKey>2</SyncKey>
      <CollectionId>5</CollectionId>
      <Status>1</Status>
      <Commands>
        <Add>
          <ServerId>5:1</ServerId>
          <ApplicationData>
            <email:To>"Device User" &lt;deviceuser@example.com&gt;</email:To>
            <email:From>"Device User 2" &lt;deviceuser2@example.com&gt;</email:From>
            <email:Subject>New mail message</email:Subject>
            <email:DateReceived>2009-07-29T19:25:37.817Z</email:DateReceived>
            <email:DisplayTo>Device User</email:DisplayTo>
            <email:ThreadTopic>New mail message</email:ThreadTopic>
            <email:Importance>1</email:Importance>
            <email:Read>0</email:Read>
            <airsyncbase:Body>
              <airsyncbase:Type>2</airsyncbase:Type>
              <airsyncbase:EstimatedDataSize>116575</airsyncbase:EstimatedDataSize>
              <airsyncbase:Truncated>1</airsyncbase:Truncated>
            </airsyncbase:Body>
            <email:MessageClass>IPM.Note</email:MessageClass>
            <email:InternetCPID>20127</email:InternetCPID>
            <email:Flag/>
            <email:ContentClass>urn:content-classes:message</email:ContentClass>
            <airsyncbase:NativeBodyType>2</airsyncbase:NativeBodyType>
          </ApplicationData>
        </Add>
      </Commands>
    </Collection>
  </Collections>
</Sync>
"""
SYNC_RESPONSE = A.Sync(
    A.Collections(
        A.Collection(
            A.SyncKey("2"),
            A.CollectionId("5"),
            A.Status("1"),
            A.Commands(
                A.Add(
                    A.ServerId("5:1"),
                    A.ApplicationData(
                        EM.To('"Device User" <deviceuser@example.com>'),
                        EM.From('"Device User 2" <deviceuser2@example.com>'),
                        EM.Subject("New mail message"),
                        EM.DateReceived("2009-07-29T19:25:37.817Z"),
                        EM.DisplayTo("Device User"),
                        EM.ThreadTopic("New mail message"),
                        EM.Importance("1"),
                        EM.Read("0"),
                        B.Body(B.Type("2"), B.EstimatedDataSize("116575"), B.Truncated("1")),
                        EM.MessageClass("IPM.Note"),
                        EM.InternetCPID("20127"),
                        EM.Flag(),
                        EM.ContentClass("urn:content-classes:message"),
                        B.NativeBodyType("2"),
                    ),
                )
            ),
        )
    )
)
SYNC_RESPONSE_BYTES = wbxml(
    HEADER,
    "45 5C 4F",  # Sync, Collections, Collection
    "4B", s("2"), "01",  # SyncKey
    "52", s("5"), "01",  # CollectionId
    "4E", s("1"), "01",  # Status 0x0E
    "56 47",  # Commands 0x16, Add 0x07
    "4D", s("5:1"), "01",  # ServerId 0x0D
    "5D",  # ApplicationData 0x1D
    "00 02",  # SWITCH_PAGE Email(2)
    "56", s('"Device User" <deviceuser@example.com>'), "01",  # To 0x16
    "58", s('"Device User 2" <deviceuser2@example.com>'), "01",  # From 0x18
    "54", s("New mail message"), "01",  # Subject 0x14
    "4F", s("2009-07-29T19:25:37.817Z"), "01",  # DateReceived 0x0F
    "51", s("Device User"), "01",  # DisplayTo 0x11
    "75", s("New mail message"), "01",  # ThreadTopic 0x35
    "52", s("1"), "01",  # Importance 0x12
    "55", s("0"), "01",  # Read 0x15
    "00 11 4A",  # SWITCH_PAGE AirSyncBase(17), Body 0x0A
    "46", s("2"), "01",  # Type 0x06
    "4C", s("116575"), "01",  # EstimatedDataSize 0x0C
    "4D", s("1"), "01",  # Truncated 0x0D
    "01",  # END Body
    "00 02",  # SWITCH_PAGE Email
    "53", s("IPM.Note"), "01",  # MessageClass 0x13
    "79", s("20127"), "01",  # InternetCPID 0x39
    "3A",  # Flag 0x3A, empty
    "7C", s("urn:content-classes:message"), "01",  # ContentClass 0x3C
    "00 11 56", s("2"), "01",  # AirSyncBase NativeBodyType 0x16
    "01 01 01 01 01 01",  # END ApplicationData, Add, Commands, Collection, Collections, Sync
)  # fmt: skip

# -- Ping (MS-ASCMD 2.2.1.13) --------------------------------------------------------------------
PING_REQUEST_XML = """<?xml version="1.0" encoding="utf-8"?>
<Ping xmlns="Ping:">
  <HeartbeatInterval>480</HeartbeatInterval>
  <Folders>
    <Folder>
      <Id>5</Id>
      <Class>Email</Class>
    </Folder>
    <Folder>
      <Id>1</Id>
      <Class>Calendar</Class>
    </Folder>
  </Folders>
</Ping>
"""
PING_REQUEST = PG.Ping(
    PG.HeartbeatInterval("480"),
    PG.Folders(
        PG.Folder(PG.Id("5"), PG.Class("Email")), PG.Folder(PG.Id("1"), PG.Class("Calendar"))
    ),
)
PING_REQUEST_BYTES = wbxml(
    HEADER,
    "00 0D 45",  # SWITCH_PAGE Ping(13), Ping 0x05
    "48", s("480"), "01",  # HeartbeatInterval 0x08
    "49",  # Folders 0x09
    "4A 4B", s("5"), "01 4C", s("Email"), "01 01",  # Folder 0x0A, Id 0x0B, Class 0x0C
    "4A 4B", s("1"), "01 4C", s("Calendar"), "01 01",
    "01 01",  # END Folders, Ping
)  # fmt: skip

PING_RESPONSE_XML = """<?xml version="1.0" encoding="utf-8"?>
<Ping xmlns="Ping:">
  <Status>2</Status>
  <Folders>
    <Folder>5</Folder>
  </Folders>
</Ping>
"""
PING_RESPONSE = PG.Ping(PG.Status("2"), PG.Folders(PG.Folder("5")))
PING_RESPONSE_BYTES = wbxml(
    HEADER, "00 0D 45", "47", s("2"), "01", "49 4A", s("5"), "01 01 01"
)  # Status 0x07

# -- ItemOperations (MS-ASCMD 2.2.1.10) ----------------------------------------------------------
ITEMOPERATIONS_REQUEST_XML = """<?xml version="1.0" encoding="utf-8"?>
<ItemOperations xmlns:airsync="AirSync:" xmlns:airsyncbase="AirSyncBase:"
    xmlns="ItemOperations:">
  <Fetch>
    <Store>Mailbox</Store>
    <airsync:CollectionId>5</airsync:CollectionId>
    <airsync:ServerId>5:1</airsync:ServerId>
    <Options>
      <airsyncbase:BodyPreference>
        <airsyncbase:Type>1</airsyncbase:Type>
        <airsyncbase:TruncationSize>5120</airsyncbase:TruncationSize>
        <airsyncbase:AllOrNone>0</airsyncbase:AllOrNone>
      </airsyncbase:BodyPreference>
    </Options>
  </Fetch>
</ItemOperations>
"""
ITEMOPERATIONS_REQUEST = IO.ItemOperations(
    IO.Fetch(
        IO.Store("Mailbox"),
        A.CollectionId("5"),
        A.ServerId("5:1"),
        IO.Options(B.BodyPreference(B.Type("1"), B.TruncationSize("5120"), B.AllOrNone("0"))),
    )
)
ITEMOPERATIONS_REQUEST_BYTES = wbxml(
    HEADER,
    "00 14 45 46",  # SWITCH_PAGE ItemOperations(20), ItemOperations 0x05, Fetch 0x06
    "47", s("Mailbox"), "01",  # Store 0x07
    "00 00 52", s("5"), "01",  # AirSync CollectionId 0x12
    "4D", s("5:1"), "01",  # AirSync ServerId 0x0D
    "00 14 48",  # ItemOperations Options 0x08
    "00 11 45",  # AirSyncBase BodyPreference
    "46", s("1"), "01",  # Type
    "47", s("5120"), "01",  # TruncationSize
    "48", s("0"), "01",  # AllOrNone 0x08
    "01 01 01 01",  # END BodyPreference, Options, Fetch, ItemOperations
)  # fmt: skip

ITEMOPERATIONS_RESPONSE_XML = """<?xml version="1.0" encoding="utf-8"?>
<ItemOperations xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:"
    xmlns:airsync="AirSync:" xmlns="ItemOperations:">
  <Status>1</Status>
  <Response>
    <Fetch>
      <Status>1</Status>
      <airsync:CollectionId>5</airsync:CollectionId>
      <airsync:ServerId>5:1</airsync:ServerId>
      <airsync:Class>Email</airsync:Class>
      <Properties>
        <email:Subject>Hello</email:Subject>
        <airsyncbase:Body>
          <airsyncbase:Type>1</airsyncbase:Type>
          <airsyncbase:EstimatedDataSize>18</airsyncbase:EstimatedDataSize>
          <airsyncbase:Data>Line one&#13;
Line two</airsyncbase:Data>
        </airsyncbase:Body>
      </Properties>
    </Fetch>
  </Response>
</ItemOperations>
"""
ITEMOPERATIONS_RESPONSE = IO.ItemOperations(
    IO.Status("1"),
    IO.Response(
        IO.Fetch(
            IO.Status("1"),
            A.CollectionId("5"),
            A.ServerId("5:1"),
            A.Class("Email"),
            IO.Properties(
                EM.Subject("Hello"),
                B.Body(B.Type("1"), B.EstimatedDataSize("18"), B.Data("Line one\r\nLine two")),
            ),
        )
    ),
)
ITEMOPERATIONS_RESPONSE_BYTES = wbxml(
    HEADER,
    "00 14 45",  # ItemOperations
    "4D", s("1"), "01",  # Status 0x0D
    "4E 46",  # Response 0x0E, Fetch
    "4D", s("1"), "01",  # Status
    "00 00 52", s("5"), "01",  # AirSync CollectionId
    "4D", s("5:1"), "01",  # AirSync ServerId
    "50", s("Email"), "01",  # AirSync Class 0x10
    "00 14 4B",  # ItemOperations Properties 0x0B
    "00 02 54", s("Hello"), "01",  # Email Subject
    "00 11 4A",  # AirSyncBase Body
    "46", s("1"), "01",
    "4C", s("18"), "01",
    "4B", s("Line one\r\nLine two"), "01",  # Data 0x0B, CR LF kept
    "01 01 01 01 01",  # END Body, Properties, Fetch, Response, ItemOperations
)  # fmt: skip

# -- SendMail (MS-ASCMD 2.2.1.17), Mime as OPAQUE over 128 bytes ---------------------------------
MIME = (
    b"From: deviceuser@example.com\r\n"
    b"To: deviceuser2@example.com\r\n"
    b"Subject: Golden test message\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: text/plain; charset="us-ascii"\r\n'
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"\r\n"
    b"This message is longer than 128 bytes, so its OPAQUE length takes two bytes.\r\n"
)
MIME_LENGTH = 267  # = 2 * 128 + 11 -> mb_u_int32 "82 0B"
SENDMAIL_XML = """<?xml version="1.0" encoding="utf-8"?>
<SendMail xmlns="ComposeMail:">
  <ClientId>633916348086136194</ClientId>
  <SaveInSentItems/>
  <Mime>RnJvbTogZGV2aWNldXNlckBleGFtcGxlLmNvbQ0KVG86IGRldmljZXVzZXIyQGV4YW1wbGUuY29tDQpTdWJqZWN0
OiBHb2xkZW4gdGVzdCBtZXNzYWdlDQpNSU1FLVZlcnNpb246IDEuMA0KQ29udGVudC1UeXBlOiB0ZXh0L3BsYWlu
OyBjaGFyc2V0PSJ1cy1hc2NpaSINCkNvbnRlbnQtVHJhbnNmZXItRW5jb2Rpbmc6IDdiaXQNCg0KVGhpcyBtZXNz
YWdlIGlzIGxvbmdlciB0aGFuIDEyOCBieXRlcywgc28gaXRzIE9QQVFVRSBsZW5ndGggdGFrZXMgdHdvIGJ5dGVz
Lg0K</Mime>
</SendMail>
"""
SENDMAIL = CM.SendMail(CM.ClientId("633916348086136194"), CM.SaveInSentItems(), CM.Mime(MIME))
SENDMAIL_BYTES = wbxml(
    HEADER,
    "00 15 45",  # SWITCH_PAGE ComposeMail(21), SendMail 0x05
    "51", s("633916348086136194"), "01",  # ClientId 0x11
    "08",  # SaveInSentItems 0x08, empty
    "50 C3 82 0B", MIME, "01",  # Mime 0x10, OPAQUE, length 267, the bytes, END
    "01",  # END SendMail
)  # fmt: skip

CASES = {
    "provision-request": (PROVISION_REQUEST, PROVISION_REQUEST_BYTES, PROVISION_REQUEST_XML),
    "provision-response": (PROVISION_RESPONSE, PROVISION_RESPONSE_BYTES, PROVISION_RESPONSE_XML),
    "provision-ack": (PROVISION_ACK, PROVISION_ACK_BYTES, PROVISION_ACK_XML),
    "foldersync-request": (FOLDERSYNC_REQUEST, FOLDERSYNC_REQUEST_BYTES, FOLDERSYNC_REQUEST_XML),
    "foldersync-response": (
        FOLDERSYNC_RESPONSE,
        FOLDERSYNC_RESPONSE_BYTES,
        FOLDERSYNC_RESPONSE_XML,
    ),
    "sync-request": (SYNC_REQUEST, SYNC_REQUEST_BYTES, SYNC_REQUEST_XML),
    "sync-response": (SYNC_RESPONSE, SYNC_RESPONSE_BYTES, SYNC_RESPONSE_XML),
    "ping-request": (PING_REQUEST, PING_REQUEST_BYTES, PING_REQUEST_XML),
    "ping-response": (PING_RESPONSE, PING_RESPONSE_BYTES, PING_RESPONSE_XML),
    "itemoperations-request": (
        ITEMOPERATIONS_REQUEST,
        ITEMOPERATIONS_REQUEST_BYTES,
        ITEMOPERATIONS_REQUEST_XML,
    ),
    "itemoperations-response": (
        ITEMOPERATIONS_RESPONSE,
        ITEMOPERATIONS_RESPONSE_BYTES,
        ITEMOPERATIONS_RESPONSE_XML,
    ),
    "sendmail": (SENDMAIL, SENDMAIL_BYTES, SENDMAIL_XML),
}


@pytest.mark.parametrize("name", CASES)
def test_encode_gives_the_hand_assembled_bytes(name):
    tree, data, _ = CASES[name]
    assert encode(tree).hex(" ") == data.hex(" ")


@pytest.mark.parametrize("name", CASES)
def test_decode_gives_the_tree(name):
    tree, data, _ = CASES[name]
    assert decode(data) == tree


@pytest.mark.parametrize("name", CASES)
def test_the_example_xml_reads_as_the_tree(name):
    tree, _, xml = CASES[name]
    assert from_xml(xml) == tree


@pytest.mark.parametrize("name", CASES)
def test_xml_round_trip(name):
    tree, _, _ = CASES[name]
    assert from_xml(to_xml(tree)) == tree
    assert from_xml(to_xml(tree, pretty=False)) == tree


def test_mime_fixture_has_the_length_written_in_the_bytes():
    assert len(MIME) == MIME_LENGTH
    assert MIME_LENGTH > 128  # a multi-byte mb_u_int32


def test_to_xml_writes_the_examples_namespace_style():
    text = to_xml(SYNC_RESPONSE)
    assert '<Sync xmlns="AirSync:" xmlns:email="Email:" xmlns:airsyncbase="AirSyncBase:">' in text
    assert "<email:Subject>New mail message</email:Subject>" in text
    assert "<airsyncbase:Type>2</airsyncbase:Type>" in text
    assert "<email:Flag/>" in text
    assert "&lt;deviceuser@example.com&gt;" in text
    # CR survives as a character reference; the SendMail MIME body is base64
    assert "Line one&#13;\nLine two" in to_xml(ITEMOPERATIONS_RESPONSE)
    assert "<Mime>RnJvbTog" in to_xml(SENDMAIL)
