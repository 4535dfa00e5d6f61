"""``OCRResult`` → :class:`~ekyc.models.Identity` for the card types the H5 flow reads.

Tencent gives every card field as a string, with date formats that vary by card (``1990-01-02``,
``1990/01/02``, ``02/01/1990``, ``02 JAN 1990``, ``19900102``, Indonesian ``PLACE, 02-01-1990``, Mainland
validity ranges ``2010.01.01-2030.01.01``…). Dates are parsed defensively: an unparseable date is left
out (None), never guessed and never an error; dates written with other than ASCII digits (``"١٩٩٠"``,
``"１９９０"``) are left out too. ``OriginalCardInfo`` is read with the one strict JSON reader
(:func:`ekyc._wire.loads`): a JSON object there that is not valid strict JSON is a malformed payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from ekyc import _wire as wire
from ekyc.countries import ALPHA3_TO_ALPHA2, to_alpha3
from ekyc.models import DocumentType, Identity

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y",
    "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%b %d, %Y", "%B %d, %Y", "%d %b %y", "%Y年%m月%d日",
)
#: compiled on first use (re's cache), not at import: only a date in no listed format is searched with it
_DATE_IN_TEXT = r"([0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{4})"

#: the identity of a result that names no one (a frozen model: one instance serves every call)
NO_IDENTITY = Identity()

_SEX = {
    "M": "M", "MALE": "M", "男": "M", "LAKI-LAKI": "M", "LAKI LAKI": "M", "ชาย": "M",
    "F": "F", "FEMALE": "F", "女": "F", "PEREMPUAN": "F", "หญิง": "F",
    "X": "X",
}


def parse_date(value: Any) -> date | None:
    """A date from one of the formats Tencent's cards use; None when absent or unparseable."""
    if not isinstance(value, str):
        return None
    if len(value) == 10 and value[4] == "-" == value[7]:  # the common ISO form, without strptime's cost:
        try:  # date.fromisoformat reads ten characters with dashes at 4 and 7 only as "%Y-%m-%d" in ASCII digits
            return date.fromisoformat(value)
        except ValueError:
            pass
    text = " ".join(value.strip().split())
    if not text or len(text) > 64 or (not text.isascii() and any(c.isdigit() and not c.isascii() for c in text)):
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    m = re.search(_DATE_IN_TEXT, text)  # "JAKARTA, 02-01-1990" and similar
    if m and m.group(1) != text:
        return parse_date(m.group(1))
    return None


def parse_validity_end(value: Any) -> date | None:
    """The end of a validity range (``2010.01.01-2030.01.01``); None for open-ended or unparseable ones."""
    if not isinstance(value, str):
        return None
    dates = re.findall(r"[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2}|[0-9]{8}", value[:128])
    return parse_date(dates[-1]) if len(dates) >= 2 else parse_date(value)


def _sex(value: Any) -> str | None:
    return _SEX.get(value.strip().upper()) if isinstance(value, str) and value.strip() else None


#: longest value kept per field kind (longer ones are left out, never truncated: they are not a card's data)
NAME_MAX, CODE_MAX, TEXT_MAX = 1024, 256, 4096


def _text(card: Mapping[str, Any], *keys: str, max_len: int = NAME_MAX) -> str | None:
    for key in keys:
        value = card.get(key)
        if isinstance(value, str):
            value = value.strip()
            if value:
                return value if len(value) <= max_len else None
    return None


def _country(value: str | None) -> str | None:
    if value in ALPHA3_TO_ALPHA2:  # already a known alpha-3 code: what to_alpha3 returns for it
        return value
    return to_alpha3(value) if value else None


# card key → (document type, issuing country, field map)
_CARDS: dict[str, tuple[DocumentType, str | None]] = {
    "InternationalIDPassport": (DocumentType.PASSPORT, None),
    "HKIDCard": (DocumentType.ID_CARD, "HKG"),
    "MLIDCard": (DocumentType.ID_CARD, "MYS"),
    "MainlandIDCard": (DocumentType.ID_CARD, "CHN"),
    "ThailandIDCard": (DocumentType.ID_CARD, "THA"),
    "SingaporeIDCard": (DocumentType.ID_CARD, "SGP"),
    "IndonesiaIDCard": (DocumentType.ID_CARD, "IDN"),
    "PhilippinesDrivingLicense": (DocumentType.DRIVERS_LICENSE, "PHL"),
    "PhilippinesVoteID": (DocumentType.ID_CARD, "PHL"),
    "PhilippinesTinID": (DocumentType.ID_CARD, "PHL"),
    "PhilippinesSSSID": (DocumentType.ID_CARD, "PHL"),
    "PhilippinesUMID": (DocumentType.ID_CARD, "PHL"),
    "IndonesiaDrivingLicense": (DocumentType.DRIVERS_LICENSE, "IDN"),
    "MacaoIDCard": (DocumentType.ID_CARD, "MAC"),
    "TaiWanIDCard": (DocumentType.ID_CARD, "TWN"),
    "JapanIDCard": (DocumentType.ID_CARD, "JPN"),
    "HMTPermitCard": (DocumentType.RESIDENCE_PERMIT, "CHN"),
    "GeneralCard": (DocumentType.OTHER, None),
}
CARD_TYPES = tuple(_CARDS)


def card_identity(card_type: str | None, card: Mapping[str, Any]) -> Identity:
    """The identity on one card of ``card_type`` (None: unknown type, generic field names)."""
    doc_type, country = _CARDS.get(card_type or "", (None, None))
    given = _text(card, "GivenName", "FirstName")
    family = _text(card, "Surname", "LastName")
    full = _text(card, "FullName", "Name", "EnName", "EnglishName", "ChineseName", "CnName")
    if full is None and (given or family):
        full = " ".join(p for p in (given, family) if p)
        full = full if len(full) <= NAME_MAX else None
    if card_type in ("MainlandIDCard", "HMTPermitCard"):
        expiry = parse_validity_end(card.get("ValidDate"))
    else:
        expiry = parse_date(_text(card, "DateOfExpiration", "ExpirationDate", "ExpiresDate", "DueDate",
                                  "DateOfExpiry"))
    issuing = _country(_text(card, "IssuingCountry", "IssuedCountry")) or country
    nationality = _text(card, "NationalityCode", "Nationality", "Citizenship")
    return Identity(
        given_name=given,
        family_name=family,
        full_name=full,
        date_of_birth=parse_date(_text(card, "Birthday", "DateOfBirth")),
        sex=_sex(card.get("Sex")),
        nationality=_country(nationality),
        document_type=doc_type,
        document_number=_text(card, "LicenseNumber", "LicenseNo", "ID", "IdNum", "VIN", "CRN", "Number",
                              max_len=CODE_MAX),
        issuing_country=issuing,
        expiry_date=expiry,
        address=_text(card, "FormattedAddress", "Address", max_len=TEXT_MAX)
        if not isinstance(card.get("Address"), dict) else _text(card, "FormattedAddress", max_len=TEXT_MAX),
    )


def ocr_identity(ocr: Mapping[str, Any], where: str = "OCRResult") -> Identity:
    """The identity of one ``OCRResult`` (``NormalCardInfo`` first, then the ``OriginalCardInfo`` JSON).

    Raises :class:`~ekyc._wire.WireError` when ``NormalCardInfo`` is not an object or ``OriginalCardInfo``
    is a JSON object that the strict reader refuses (duplicate keys, depth, NaN…).
    """
    normal = ocr.get("NormalCardInfo")
    if type(normal) is not dict:  # named only when refused
        normal = wire.opt_obj(normal, f"{where}.NormalCardInfo")
    for card_type, card in normal.items():
        if isinstance(card, Mapping) and card:
            return card_identity(card_type, card)
    original = wire.text(ocr.get("OriginalCardInfo"), f"{where}.OriginalCardInfo", max_len=wire.MAX_BODY)
    if original is not None and original.startswith("{"):
        try:
            data = wire.loads(original)
        except wire.WireError as exc:
            raise wire.WireError(f"{where}.OriginalCardInfo", exc.problem) from None
        if isinstance(data, Mapping):
            for card_type in CARD_TYPES:
                if isinstance(data.get(card_type), Mapping):
                    return card_identity(card_type, data[card_type])
            return card_identity(None, data)
    return NO_IDENTITY
