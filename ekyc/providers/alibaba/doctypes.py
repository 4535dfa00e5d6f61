"""``DocType`` codes for the eKYC / ID_OCR solutions (8 digits; reference ``alibaba.md`` §1.2).

Only codes with a source are mapped. Others (HKID 2003 ``00000006``, the HK/Macao/Taiwan permits, the
eKYC_PRO alphanumeric table such as ``GLB03002``) can be sent with ``provider_options["alibaba"]["DocType"]``.
"""

from __future__ import annotations

from ...models import DocumentType

#: global passport (any issuing country)
PASSPORT = "01000000"

#: (document type, ISO alpha-3 country) → DocType; country None = any country
DOC_TYPES: dict[tuple[DocumentType, str | None], str] = {
    (DocumentType.PASSPORT, None): PASSPORT,
    (DocumentType.ID_CARD, "CHN"): "00000001",  # mainland resident identity card (EkycVerify example)
    (DocumentType.ID_CARD, "HKG"): "00000008",  # Hong Kong identity card, 2018 edition
}

#: DocType → normalized document type (for reading results)
DOC_TYPE_KIND: dict[str, DocumentType] = {
    PASSPORT: DocumentType.PASSPORT,
    "00000001": DocumentType.ID_CARD,
    "00000006": DocumentType.ID_CARD,  # Hong Kong identity card, 2003 edition
    "00000008": DocumentType.ID_CARD,
}


def doc_type_for(document: DocumentType, country: str | None) -> str | None:
    """The DocType for a document type and issuing country, or None when no sourced code fits."""
    return DOC_TYPES.get((document, None)) or (DOC_TYPES.get((document, country)) if country else None)


def document_type_of(code: str) -> DocumentType | None:
    """The normalized document type of a DocType code (None when unknown)."""
    return DOC_TYPE_KIND.get(code)
