"""``DocType`` codes: the 8-digit table of the China-documents plans (eKYC, ID_OCR) and the alphanumeric global
table of eKYC_PRO / ID_OCR_MAX (reference ``alibaba.md`` §1.2; Alibaba's certificate code table).

Only codes with a source are mapped; anything else can be sent with ``provider_options["alibaba"]["DocType"]``
(checked against the plan's table before any request).

Global table source: alibabacloud.com/help/zh/ekyc/latest/certificate-code-table (证件类型表, updated 2026-03-11;
en: doc-detail/2928820) — "country code + document abbreviation": ``GLB03002`` global e-passport (reads the ICAO
MRZ of any country's e-passport; recommended over ``GLB03001``, which is being retired), then per country
``…01…`` identity cards, ``…02…`` driving licences, ``…03…`` passports, ``…05…``/``…06…`` permits. Regional
limits (id-verifcation-dir, zh 2026-03-10): Singapore reads the whole table; Indonesia (Jakarta) only
``IDN01001`` and ``GLB03002``; Malaysia (Kuala Lumpur) only ``MYS01001`` and ``GLB03002``; Hong Kong: no limit
stated. ``HKG02001`` (Hong Kong driving licence) has no face photo and is not accepted by eKYC_PRO.
"""

from __future__ import annotations

import re

from ekyc.models import DocumentType

from .products import GLOBAL, JAKARTA, KUALA_LUMPUR, LEGACY

#: global passport (any issuing country), 8-digit table
PASSPORT = "01000000"
#: global e-passport (ICAO MRZ, any issuing country), alphanumeric table
GLOBAL_PASSPORT = "GLB03002"

#: (document type, ISO alpha-3 country) → 8-digit DocType; country None = any country
DOC_TYPES: dict[tuple[DocumentType, str | None], str] = {
    (DocumentType.PASSPORT, None): PASSPORT,
    (DocumentType.ID_CARD, "CHN"): "00000001",  # mainland resident identity card (EkycVerify example)
    (DocumentType.ID_CARD, "HKG"): "00000008",  # Hong Kong identity card, 2018 edition
}

#: (document type, ISO alpha-3 country) → global DocType (certificate code table); country None = any country
GLOBAL_DOC_TYPES: dict[tuple[DocumentType, str | None], str] = {
    (DocumentType.PASSPORT, None): GLOBAL_PASSPORT,
    (DocumentType.ID_CARD, "CHN"): "CHN01001",  # resident identity card
    (DocumentType.DRIVERS_LICENSE, "CHN"): "CHN02001",
    (DocumentType.RESIDENCE_PERMIT, "CHN"): "CHN06001",  # permanent residence card (永居证)
    (DocumentType.ID_CARD, "HKG"): "HKG01002",  # identity card, 2018 edition (2003 edition: HKG01001)
    (DocumentType.ID_CARD, "MAC"): "MAC01001",  # identity card, 2023 edition (2013: MAC01002, 2002: MAC01003)
    (DocumentType.ID_CARD, "TWN"): "TWN01001",
    (DocumentType.ID_CARD, "VNM"): "VNM01001",  # 2021 chip edition
    (DocumentType.ID_CARD, "MYS"): "MYS01001",  # MyKad
    (DocumentType.DRIVERS_LICENSE, "MYS"): "MYS02001",
    (DocumentType.ID_CARD, "IDN"): "IDN01001",
    (DocumentType.ID_CARD, "SGP"): "SGP01001",  # NRIC
    (DocumentType.DRIVERS_LICENSE, "SGP"): "SGP02001",
    (DocumentType.ID_CARD, "THA"): "THA01001",
    (DocumentType.DRIVERS_LICENSE, "THA"): "THA02001",  # private car licence
    (DocumentType.ID_CARD, "PHL"): "PHL01001",
    (DocumentType.DRIVERS_LICENSE, "PHL"): "PHL02001",
}

#: every global code the table lists (the mapped ones, plus documents with no neutral type of their own)
GLOBAL_CODES: frozenset[str] = frozenset(GLOBAL_DOC_TYPES.values()) | frozenset({
    "GLB03001", "CHN03001", "CHN05001", "CHN05002", "CHN05003", "CHN05004", "HKG01001", "HKG02001", "HKG07001",
    "MAC01002", "MAC01003", "VNM03001", "SGP03001", "THA03001", "PHL01002", "PHL03001", "PHL04001", "PHL07001",
    "PHL07002",
})
#: global codes eKYC_PRO refuses (no face photo on the document)
NO_FACE_PHOTO = frozenset({"HKG02001"})
#: regions that read only part of the global table
REGION_GLOBAL_CODES: dict[str, frozenset[str]] = {
    JAKARTA: frozenset({"IDN01001", GLOBAL_PASSPORT}),
    KUALA_LUMPUR: frozenset({"MYS01001", GLOBAL_PASSPORT}),
}

#: DocType → normalized document type (for reading results)
DOC_TYPE_KIND: dict[str, DocumentType] = {
    PASSPORT: DocumentType.PASSPORT,
    "00000001": DocumentType.ID_CARD,
    "00000006": DocumentType.ID_CARD,  # Hong Kong identity card, 2003 edition
    "00000008": DocumentType.ID_CARD,
    **{code: kind for (kind, _), code in GLOBAL_DOC_TYPES.items()},
    "GLB03001": DocumentType.PASSPORT,
    "CHN03001": DocumentType.PASSPORT,
    "VNM03001": DocumentType.PASSPORT,
    "SGP03001": DocumentType.PASSPORT,
    "THA03001": DocumentType.PASSPORT,
    "PHL03001": DocumentType.PASSPORT,
    "HKG01001": DocumentType.ID_CARD,
}

_LEGACY_CODE = re.compile(r"\d{8}")
#: the global table's shape: country (or GLB) + two-digit document kind + three-digit number
_GLOBAL_CODE = re.compile(r"[A-Z]{3}\d{5}")


def doc_type_for(document: DocumentType, country: str | None, table: str = LEGACY) -> str | None:
    """The DocType for a document type and issuing country in ``table`` (``LEGACY`` or ``GLOBAL``), or None
    when no sourced code fits."""
    codes = GLOBAL_DOC_TYPES if table == GLOBAL else DOC_TYPES
    return codes.get((document, None)) or (codes.get((document, country)) if country else None)


def accepts(table: str, code: str, region: str, *, face_photo: bool = True) -> bool:
    """Does a plan with DocType table ``table`` take ``code`` in ``region``? ``face_photo``: the plan compares
    the document's portrait (eKYC_PRO)."""
    if table == LEGACY:
        return bool(_LEGACY_CODE.fullmatch(code))
    # the table continues past the rows listed in GLOBAL_CODES: a code of its shape is Alibaba's to judge
    if table != GLOBAL or not _GLOBAL_CODE.fullmatch(code) or (face_photo and code in NO_FACE_PHOTO):
        return False
    allowed = REGION_GLOBAL_CODES.get(region)
    return allowed is None or code in allowed


def document_type_of(code: str) -> DocumentType | None:
    """The normalized document type of a DocType code (None when unknown)."""
    return DOC_TYPE_KIND.get(code)
