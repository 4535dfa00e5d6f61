"""From a neutral :class:`~ekyc.models.SessionRequest` to Alibaba's parameters: the product plan for the region
(:mod:`.products`), its ``DocType`` (:mod:`.doctypes`), ``LanguageConfig`` and the ``CheckResult`` options.

Defaults the library fills in (documented in ``docs/providers/alibaba.md``):

- no ``document_types``: the global passport — ``GLB03002`` for eKYC_PRO (reads any ICAO e-passport's MRZ),
  ``01000000`` for the 8-digit plans (eKYC, ID_OCR);
- ``language``: sent as ``LanguageConfig={"defaultLanguage": <code>}`` (the documented JSON form, doc-detail
  2861522 "Customize languages for the Web SDK"); a language Alibaba's web flow does not list is refused
  (:data:`LANGUAGES`), never dropped. Without ``language`` Alibaba follows the device (English fallback).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from ekyc.errors import UnsupportedFeature
from ekyc.models import Check, SessionRequest

from .doctypes import GLOBAL_PASSPORT, PASSPORT, accepts, doc_type_for
from .products import GLOBAL, Plan, plan, plan_for, region_names

#: the web SDK's language codes (doc-detail 2861522): neutral primary language subtag → LanguageConfig code.
#: Chinese: ``zh`` is Simplified, ``TW`` Traditional (chosen for zh-TW, zh-HK, zh-MO and zh-Hant)
LANGUAGES: dict[str, str] = {
    "zh": "zh", "en": "en", "ms": "ms", "id": "id", "th": "th", "vi": "vi", "ja": "ja", "ko": "ko", "fr": "fr",
    "es": "es", "pt": "pt", "ru": "ru", "ar": "ar",
}
_TRADITIONAL = frozenset({"tw", "hk", "mo", "hant"})

#: ``CheckResult`` parameters an app may set through ``provider_options["alibaba"]`` (SDK 3.23.1
#: ``CheckResultRequest``); they are kept in the session ref and sent with every ``get_result``
CHECK_RESULT_OPTIONS = ("IsReturnImage", "ExtraImageControlList", "ReturnFiveCategorySpoofResult")
_YES_NO = ("IsReturnImage", "ReturnFiveCategorySpoofResult")

Unsupported = Callable[[str, str], UnsupportedFeature]


@dataclass(frozen=True)
class Solution:
    """The plan a request starts and the ``DocType`` it sends (None when the plan takes none)."""

    plan: Plan
    doc_type: str | None


def language_config(tag: str, unsupported: Unsupported) -> str:
    """``LanguageConfig`` for a language tag: ``{"defaultLanguage": code}`` (module docstring)."""
    parts = tag.replace("_", "-").lower().split("-")
    traditional = parts[0] == "zh" and bool(_TRADITIONAL.intersection(parts[1:]))
    code = "TW" if traditional else LANGUAGES.get(parts[0], "")
    if not code:
        raise unsupported(f"language {tag!r} is not one of the web flow's languages "
                          f"({', '.join(sorted(set(LANGUAGES) | {'zh-TW'}))})", "language")
    return json.dumps({"defaultLanguage": code}, separators=(",", ":"))


def split_options(opts: Mapping[str, str], unsupported: Unsupported) -> tuple[dict[str, str], str | None]:
    """``(Initialize parameters, CheckResult options as a query string or None)`` from the provider options."""
    init = {k: v for k, v in opts.items() if k not in CHECK_RESULT_OPTIONS}
    result = {k: opts[k] for k in CHECK_RESULT_OPTIONS if k in opts}
    for name in _YES_NO:
        if name in result and result[name] not in ("Y", "N"):
            raise unsupported(f"{name} is 'Y' or 'N'", f"provider_options.alibaba.{name}")
    text = urlencode(result) if result else None
    if text is not None and len(text) > 512:
        raise unsupported("the CheckResult options are longer than 512 characters",
                          "provider_options.alibaba.ExtraImageControlList")
    return init, text


def result_options(text: str) -> dict[str, str]:
    """The CheckResult options kept in a ref (only the known names; anything else is dropped)."""
    return {k: v for k, v in parse_qsl(text, keep_blank_values=False) if k in CHECK_RESULT_OPTIONS}


def choose(request: SessionRequest, region: str, opts: Mapping[str, str], unsupported: Unsupported) -> Solution:
    """The plan and ``DocType`` for ``request`` in ``region`` (module docstring; :mod:`.products`)."""
    checks = frozenset(request.checks)
    if "ProductCode" in opts:
        chosen = plan(opts["ProductCode"])
        if chosen is None or not chosen.hosted:
            raise unsupported(f"ProductCode {opts['ProductCode']!r} is not a hosted plan this library knows",
                              "provider_options.alibaba.ProductCode")
    else:
        chosen = plan_for(checks, region)
        if chosen is None:
            raise unsupported(_not_offered(checks, region), "checks")
    if region not in chosen.regions:
        raise unsupported(f"{chosen.code} is offered in {region_names(chosen.regions)}, not in {region} "
                          "(settings: region)", "provider_options.alibaba.ProductCode"
                          if "ProductCode" in opts else "checks")
    if chosen.doc_table is None:
        if request.document_types and Check.DOCUMENT not in checks:
            raise unsupported("document_types need the document check", "document_types")
        return Solution(chosen, None)
    if "DocType" in opts:
        code = opts["DocType"]
    elif not request.document_types:
        code = GLOBAL_PASSPORT if chosen.doc_table == GLOBAL else PASSPORT
    elif len(request.document_types) > 1:
        raise unsupported("one Initialize takes exactly one DocType; give one document type", "document_types")
    else:
        doc = request.document_types[0]
        found = doc_type_for(doc, request.country, chosen.doc_table)
        if found is None:
            where = f" issued by {request.country}" if request.country else " without a country"
            raise unsupported(f"no {chosen.code} DocType is known for document_types={doc.value}{where}; set "
                              "country, or pass provider_options['alibaba']['DocType']",
                              "document_types" if request.country else "country")
        code = found
    if not accepts(chosen.doc_table, code, region, face_photo=chosen.code == "eKYC_PRO"):
        raise unsupported(f"DocType {code} is not taken by {chosen.code} in {region}",
                          "provider_options.alibaba.DocType" if "DocType" in opts else "document_types")
    return Solution(chosen, code)


def _not_offered(checks: frozenset[Check], region: str) -> str:
    wanted = "+".join(sorted(c.value for c in checks))
    if checks == frozenset({Check.DOCUMENT}):
        why = "document-only web flows (ID_OCR) run in cn-hongkong only; ID_OCR_MAX is a server-side API"
    elif checks == frozenset({Check.LIVENESS, Check.FACE_MATCH}):
        why = "face verification against a reference image (FACE_VERIFY) runs in cn-hongkong only"
    elif checks == frozenset({Check.LIVENESS}):
        why = "FACE_LIVENESS_PRO runs in cn-hongkong, ap-southeast-1 and ap-southeast-5"
    else:
        why = "no hosted plan runs it"
    return f"the check combination {wanted} is not offered in {region}: {why}"
