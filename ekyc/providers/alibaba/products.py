"""Alibaba's product plans (``ProductCode``): the regions each runs in, the API that starts it and its DocType table.

Sources (alibabacloud.com/help/en/ekyc/latest/…, read 2026): ``id-verifcation-dir`` (ID Verification, updated
2026-03-10), ``liveness-and-deepfake-detection`` (Face Detection, 2025-11-25), ``id-ocr`` (Identity Document
Recognition, 2026-02-07), ``supported-regions``; the API each plan is started with: ``pro-init`` (eKYC_PRO →
``InitializeV2``), ``liveness-initialize-1`` (FACE_LIVENESS_PRO → ``InitializeV2``), ``liveness-initialize-2``
(FACE_IDU → ``InitializeV2``), ``nfc-init`` (ID_NFC → ``InitializeV2``), ``ekyc-initialize`` / ``pnklrdbny4tg6c1m``
(eKYC → ``Initialize``), ``ekyc-face-verify-initialize`` (FACE_VERIFY → ``Initialize``), ``face-liveness-initialize``
(FACE_LIVENESS → ``Initialize``), ``ocr-initialize`` (ID_OCR → ``Initialize``), ``whs3z07gbay8gf8x`` (KYC_GLOBAL →
``Initialize``, Hong Kong endpoint only).

The neutral check sets map to the plans as below (:func:`plan_for`); a combination a region does not offer is an
:class:`~ekyc.errors.UnsupportedFeature` before any request, never a silent substitute:

=====================================  ================================  =========================================
checks                                 Hong Kong (``cn-hongkong``)       Singapore / Jakarta / Kuala Lumpur
=====================================  ================================  =========================================
document + liveness + face_match       ``eKYC_PRO`` (InitializeV2)       ``eKYC_PRO`` (InitializeV2), all three
liveness                               ``FACE_LIVENESS_PRO``             ``FACE_LIVENESS_PRO`` (SG, Jakarta; not
                                                                         documented for Kuala Lumpur)
liveness + face_match (reference img)  ``FACE_VERIFY`` (Initialize)      not offered (FACE_VERIFY is Hong Kong only)
document                               ``ID_OCR`` (Initialize)           not offered (ID_OCR_MAX is a server-only
                                                                         API without a hosted page)
=====================================  ================================  =========================================

``provider_options["alibaba"]["ProductCode"]`` picks another hosted plan of the table (e.g. ``eKYC`` in Hong Kong);
a plan outside the configured region is refused before any request.
"""

from __future__ import annotations

from dataclasses import dataclass

from ekyc.models import ALL_CHECKS, Check

HONG_KONG = "cn-hongkong"
SINGAPORE = "ap-southeast-1"
JAKARTA = "ap-southeast-5"
KUALA_LUMPUR = "ap-southeast-3"
#: documented regions (reference §5; every ``*-init`` page lists its endpoints)
REGIONS = (SINGAPORE, HONG_KONG, JAKARTA, KUALA_LUMPUR)
ALL_REGIONS = frozenset(REGIONS)

#: DocType tables: the 8-digit codes of the China-documents plans, the alphanumeric global table
LEGACY = "8-digit"
GLOBAL = "global"

_DIR = "alibabacloud.com/help/en/ekyc/latest/id-verifcation-dir (2026-03-10)"
_FACE = "alibabacloud.com/help/en/ekyc/latest/liveness-and-deepfake-detection (2025-11-25)"
_OCR = "alibabacloud.com/help/en/ekyc/latest/id-ocr (2026-02-07)"


@dataclass(frozen=True)
class Plan:
    """One product plan: ``code`` (ProductCode), ``action`` (the API that starts it), ``regions`` it runs in,
    ``doc_table`` (``LEGACY``, ``GLOBAL`` or None when it takes no DocType), whether it has a hosted web page
    (``hosted``), and where each fact comes from."""

    code: str
    action: str
    regions: frozenset[str]
    doc_table: str | None
    hosted: bool
    source: str
    needs_face_picture: bool = False


PLANS: dict[str, Plan] = {p.code: p for p in (
    Plan("eKYC_PRO", "InitializeV2", ALL_REGIONS, GLOBAL, True, f"{_DIR}; pro-init (InitializeV2)"),
    Plan("eKYC", "Initialize", frozenset({HONG_KONG}), LEGACY, True, f"{_DIR}; ekyc-initialize"),
    Plan("FACE_LIVENESS_PRO", "InitializeV2", frozenset({HONG_KONG, SINGAPORE, JAKARTA}), None, True,
         f"{_FACE}; liveness-initialize-1 (InitializeV2)"),
    Plan("FACE_IDU", "InitializeV2", frozenset({HONG_KONG, SINGAPORE, JAKARTA}), None, True,
         f"{_FACE}; liveness-initialize-2 (InitializeV2)"),
    Plan("FACE_LIVENESS", "Initialize", frozenset({HONG_KONG}), None, True, f"{_FACE}; face-liveness-initialize"),
    Plan("FACE_VERIFY", "Initialize", frozenset({HONG_KONG}), None, True, f"{_FACE}; ekyc-face-verify-initialize",
         needs_face_picture=True),
    Plan("ID_OCR", "Initialize", frozenset({HONG_KONG}), LEGACY, True, f"{_OCR}; ocr-initialize"),
    Plan("ID_NFC", "InitializeV2", ALL_REGIONS, LEGACY, True, f"{_OCR}; nfc-init (InitializeV2, passport "
         "01000000 with UseNFC)"),
    Plan("KYC_GLOBAL", "Initialize", frozenset({HONG_KONG}), LEGACY, True,
         "whs3z07gbay8gf8x (2024-05-22; endpoint cloudauth-intl.cn-hongkong only)"),
    # server-only plans: started by their own APIs (DocOcrMax, EkycVerify, ...), never by Initialize
    Plan("ID_OCR_MAX", "DocOcrMax", frozenset({SINGAPORE, JAKARTA, KUALA_LUMPUR}), GLOBAL, False, _OCR),
)}

#: the plan each neutral check set starts, by region (module table); None = not offered there
_NEUTRAL: dict[frozenset[Check], tuple[str, ...]] = {
    ALL_CHECKS: ("eKYC_PRO",),
    frozenset({Check.LIVENESS}): ("FACE_LIVENESS_PRO",),
    frozenset({Check.LIVENESS, Check.FACE_MATCH}): ("FACE_VERIFY",),
    frozenset({Check.DOCUMENT}): ("ID_OCR",),
}


def plan_for(checks: frozenset[Check], region: str) -> Plan | None:
    """The hosted plan that runs ``checks`` in ``region`` (module table), or None when none does."""
    for code in _NEUTRAL.get(checks, ()):
        plan = PLANS[code]
        if region in plan.regions:
            return plan
    return None


def plan(code: str) -> Plan | None:
    """The plan named ``code`` (None when this table does not know it)."""
    return PLANS.get(code)


def region_names(regions: frozenset[str]) -> str:
    """``regions`` in the order of :data:`REGIONS`, comma-separated."""
    return ", ".join(r for r in REGIONS if r in regions)
