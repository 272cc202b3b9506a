"""The Contacts class (MS-ASCNTC): a contact's ApplicationData, with the Contacts2 fields.

Every field is optional text but ``Children``/``Categories`` (lists), ``Picture`` (a base64
JPEG, at most 48 KB by MS-ASCNTC 2.2.2.57) and ``WeightedRank`` (an integer the server sends
for recipient-information-cache entries). The body is ``AirSyncBase:Body`` from 12.0 and
``Contacts:Body``/``BodySize``/``BodyTruncated`` at 2.5. ``Alias`` and ``WeightedRank`` are 14.0+.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from easclient.wbxml import Element

from ._elements import as_tuples
from ._itemfields import (
    Field,
    read_body,
    read_categories,
    read_fields,
    write_body,
    write_categories,
    write_fields,
)
from .email import Body

__all__ = ["Contact"]

_TEXT = [
    "Anniversary",
    "AssistantName",
    "AssistantPhoneNumber",
    "Birthday",
    "Business2PhoneNumber",
    "BusinessAddressCity",
    "BusinessAddressCountry",
    "BusinessAddressPostalCode",
    "BusinessAddressState",
    "BusinessAddressStreet",
    "BusinessFaxNumber",
    "BusinessPhoneNumber",
    "CarPhoneNumber",
    "CompanyName",
    "Department",
    "Email1Address",
    "Email2Address",
    "Email3Address",
    "FileAs",
    "FirstName",
    "Home2PhoneNumber",
    "HomeAddressCity",
    "HomeAddressCountry",
    "HomeAddressPostalCode",
    "HomeAddressState",
    "HomeAddressStreet",
    "HomeFaxNumber",
    "HomePhoneNumber",
    "JobTitle",
    "LastName",
    "MiddleName",
    "MobilePhoneNumber",
    "OfficeLocation",
    "OtherAddressCity",
    "OtherAddressCountry",
    "OtherAddressPostalCode",
    "OtherAddressState",
    "OtherAddressStreet",
    "PagerNumber",
    "RadioPhoneNumber",
    "Spouse",
    "Suffix",
    "Title",
    "WebPage",
    "YomiCompanyName",
    "YomiFirstName",
    "YomiLastName",
    "Picture",
    "Alias",
]
_TEXT2 = [
    "CustomerId",
    "GovernmentId",
    "IMAddress",
    "IMAddress2",
    "IMAddress3",
    "ManagerName",
    "CompanyMainPhone",
    "AccountName",
    "NickName",
    "MMS",
]


def _snake(name: str) -> str:
    """``Email1Address`` → ``email1_address``, ``IMAddress2`` → ``im_address2``."""
    return re.sub(r"(?<!^)(?=[A-Z][a-z])", "_", name).lower()


_FIELDS: tuple[Field, ...] = (
    *((_snake(n), f"Contacts:{n}", str) for n in _TEXT),
    ("weighted_rank", "Contacts:WeightedRank", int),
    *((_snake(n), f"Contacts2:{n}", str) for n in _TEXT2),
)


@dataclass(frozen=True, slots=True)
class Contact:
    """A contact (MS-ASCNTC 2.2.2). Attribute names are the spec's in snake case
    (``Email1Address`` → ``email1_address``, ``IMAddress`` → ``im_address``)."""

    anniversary: str | None = None
    assistant_name: str | None = None
    assistant_phone_number: str | None = None
    birthday: str | None = None
    business2_phone_number: str | None = None
    business_address_city: str | None = None
    business_address_country: str | None = None
    business_address_postal_code: str | None = None
    business_address_state: str | None = None
    business_address_street: str | None = None
    business_fax_number: str | None = None
    business_phone_number: str | None = None
    car_phone_number: str | None = None
    company_name: str | None = None
    department: str | None = None
    email1_address: str | None = None
    email2_address: str | None = None
    email3_address: str | None = None
    file_as: str | None = None
    first_name: str | None = None
    home2_phone_number: str | None = None
    home_address_city: str | None = None
    home_address_country: str | None = None
    home_address_postal_code: str | None = None
    home_address_state: str | None = None
    home_address_street: str | None = None
    home_fax_number: str | None = None
    home_phone_number: str | None = None
    job_title: str | None = None
    last_name: str | None = None
    middle_name: str | None = None
    mobile_phone_number: str | None = None
    office_location: str | None = None
    other_address_city: str | None = None
    other_address_country: str | None = None
    other_address_postal_code: str | None = None
    other_address_state: str | None = None
    other_address_street: str | None = None
    pager_number: str | None = None
    radio_phone_number: str | None = None
    spouse: str | None = None
    suffix: str | None = None
    title: str | None = None
    web_page: str | None = None
    yomi_company_name: str | None = None
    yomi_first_name: str | None = None
    yomi_last_name: str | None = None
    picture: str | None = None
    alias: str | None = None
    weighted_rank: int | None = None
    customer_id: str | None = None
    government_id: str | None = None
    im_address: str | None = None
    im_address2: str | None = None
    im_address3: str | None = None
    manager_name: str | None = None
    company_main_phone: str | None = None
    account_name: str | None = None
    nick_name: str | None = None
    mms: str | None = None
    categories: tuple[str, ...] = field(default=())
    children: tuple[str, ...] = field(default=())
    body: Body | None = None

    def __post_init__(self) -> None:
        as_tuples(self, "categories", "children")

    def to_element(self, version: str = "14.1") -> Element:
        """``AirSync:ApplicationData`` holding this contact in the form ``version`` uses."""
        return Element("AirSync:ApplicationData", *self.to_children(version))

    def to_children(self, version: str = "14.1") -> list[Element]:
        out = write_fields(self, _FIELDS, version)
        cats = write_categories("Contacts", self.categories)
        if cats is not None:
            out.append(cats)
        if self.children:
            out.append(
                Element("Contacts:Children", *(Element("Contacts:Child", c) for c in self.children))
            )
        out.extend(write_body("Contacts", self.body, version))
        return out

    @classmethod
    def from_element(cls, el: Element) -> Contact:
        values = read_fields(el, _FIELDS)
        kids = el.find("Contacts:Children")
        values["children"] = (
            ()
            if kids is None
            else tuple(c.text for c in kids.findall("Contacts:Child") if isinstance(c.text, str))
        )
        values["categories"] = read_categories(el, "Contacts")
        values["body"] = read_body(el, "Contacts")
        return cls(**values)
