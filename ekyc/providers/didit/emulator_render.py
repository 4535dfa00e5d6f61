"""What the Didit emulator answers with: the v3 decision object and the feature arrays a finished flow
produces, for a catalog scenario or one Didit code. Pure functions over a session record (the ``dict`` the
emulator keeps in its store); no I/O, no emulator state.

Shapes follow Didit API v3 as the references give them: plural feature arrays (``id_verifications``,
``liveness_checks``, ``face_matches``…) with warning objects keyed by ``risk``; each item's status follows its
worst warning (``error`` → Declined, ``warning`` → In Review).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection
from datetime import date, datetime, timezone
from typing import Any

from ekyc.sandbox.scenarios import EXPIRED_DOCUMENT_EXPIRY, PERSON

from .codes import CODE_TABLE, DEFAULT_LOG_TYPE, FEATURE_ARRAYS, RISK_FEATURE, RISKS
from .parse import FEATURE_ARRAYS as ALL_ARRAYS

#: the features of a workflow that declares none (the sandbox's default KYC workflow)
DEFAULT_FEATURES = ("OCR", "LIVENESS", "FACE_MATCH")
#: workflow feature → its name in the decision's ``features`` list (others keep their name)
_DECISION_FEATURE = {"OCR": "ID_VERIFICATION", "PROOF_OF_ADDRESS": "POA", "PHONE_VERIFICATION": "PHONE",
                     "EMAIL_VERIFICATION": "EMAIL"}
#: workflow features besides OCR/LIVENESS/FACE_MATCH → the decision array reporting their item
_OTHER_ARRAYS = {"NFC": "nfc_verifications", "AML": "aml_screenings", "IP_ANALYSIS": "ip_analyses",
                 "PROOF_OF_ADDRESS": "poa_verifications", "PHONE_VERIFICATION": "phone_verifications",
                 "EMAIL_VERIFICATION": "email_verifications", "DATABASE_VALIDATION": "database_validations",
                 "QUESTIONNAIRE": "questionnaire_responses"}
_SEVERITY = {"Approved": 0, "In Review": 1, "Declined": 2}

#: catalog scenario → (status, [(risk, log_type)], render options)
PLANS: dict[str, tuple[str, list[tuple[str, str]], dict[str, Any]]] = {
    "approved": ("Approved", [], {}),
    "face_mismatch": ("Declined", [("LOW_FACE_MATCH_SIMILARITY", "error")], {"face_score": 22.5}),
    "liveness_spoof": ("Declined", [("LIVENESS_FACE_ATTACK", "error")], {"liveness_score": 8.1, "face": False}),
    "no_face": ("Declined", [("NO_FACE_DETECTED", "error")], {"liveness_score": None, "face": False}),
    "multiple_faces": ("Declined", [("MULTIPLE_FACES_DETECTED", "error")], {"liveness_score": 41.0, "face": False}),
    "poor_capture": ("Declined", [("LOW_FACE_QUALITY", "error")], {"liveness_score": 35.5, "face": False}),
    "document_expired": ("Declined", [("DOCUMENT_EXPIRED", "error")], {"expiry": EXPIRED_DOCUMENT_EXPIRY}),
    "document_tampered": ("Declined", [("PORTRAIT_MANIPULATION_DETECTED", "error")], {}),
    "document_unreadable": ("Declined", [("MRZ_NOT_DETECTED", "error")], {}),
    "data_mismatch": ("Declined", [], {"mismatch": True}),
    "timed_out": ("Abandoned", [], {"liveness": False, "face": False}),
    "session_expired": ("Expired", [], {"document": False, "liveness": False, "face": False}),
    "review": ("In Review", [("LOW_FACE_MATCH_SIMILARITY", "warning")], {"face_score": 58.0}),
}

#: what a finished flow renders: ``("scenario", catalog name)`` or ``("code", Didit status or risk code)``
Choice = tuple[str, str]


def iso(ts: float) -> str:
    """``ts`` (epoch seconds) as Didit writes timestamps: ``2025-01-31T12:00:00.000000Z``."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decision_json(s: dict[str, Any], workflow_features: Collection[str]) -> dict[str, Any]:
    """The v3 decision object of session ``s`` (every feature array present; null until produced)."""
    d: dict[str, Any] = {
        "session_id": s["session_id"], "session_number": s["session_number"], "session_url": s["url"],
        "session_kind": "user", "status": s["status"], "environment": s["environment"],
        "workflow_id": s["workflow_id"],
        "features": [_DECISION_FEATURE.get(f, f) for f in workflow_features],
        "vendor_data": s["vendor_data"], "metadata": s["metadata"],
        "expected_details": s["expected_details"], "contact_details": s["contact_details"],
        "callback": s["callback"], "created_at": iso(s["created_ts"]), "expires_at": iso(s["expires_ts"]),
        "reviews": copy.deepcopy(s["reviews"]),
    }
    for array in ALL_ARRAYS:
        d[array] = copy.deepcopy(s["features"].get(array))
    return d


def choice(scenario: Any, code: Any, supports: Callable[[str], bool]) -> Choice | None:
    """What a form or request asked for: a catalog ``scenario`` this emulator ``supports``, else a Didit
    ``code`` (a session status or a risk code); None when neither is valid."""
    if isinstance(scenario, str) and scenario:
        return ("scenario", scenario) if scenario in PLANS and supports(scenario) else None
    if isinstance(code, str) and code and (CODE_TABLE.get("status", code) is not None or code in RISKS):
        return ("code", code)
    return None


def plan(s: dict[str, Any], workflow_features: Collection[str], today: date, chosen: Choice,
         log_type: str | None = None) -> tuple[str, dict[str, Any]]:
    """The final status and feature arrays of session ``s`` for ``chosen`` (``log_type`` overrides a risk
    code's default); ``today`` is the sandbox clock's date (the document holder's age)."""
    kind, value = chosen
    features = set(workflow_features)
    if kind == "scenario":
        status, warns, opts = PLANS[value]
        return status, render(s, features, today, warns, **opts)
    if CODE_TABLE.get("status", value) is not None:
        if value in ("Approved", "Kyc Expired", "Declined", "In Review"):
            return value, render(s, features, today, [])
        if value == "Abandoned":
            return value, render(s, features, today, [], liveness=False, face=False)
        return value, {}
    lt = log_type or DEFAULT_LOG_TYPE[value]
    status = {"error": "Declined", "warning": "In Review"}.get(lt, "Approved")
    return status, render(s, features, today, [(value, lt)])


def render(s: dict[str, Any], features: Collection[str], today: date, warns: list[tuple[str, str]], *,
           document: bool = True, liveness: bool = True, face: bool = True, liveness_score: float | None = 97.3,
           face_score: float | None = 91.5, expiry: date | None = None, mismatch: bool = False
           ) -> dict[str, Any]:
    """The feature arrays of a finished flow over the workflow's ``features``: each warning goes into its
    feature's item, whose status follows the warning's ``log_type`` (error → Declined, warning → In Review).
    ``mismatch`` renders the ``*_MISMATCH_WITH_PROVIDED`` errors the session's ``expected_details`` cause."""
    feats: dict[str, Any] = {}
    if document and "OCR" in features:
        feats["id_verifications"] = [_id_item(today, expiry)]
    if liveness and "LIVENESS" in features:
        feats["liveness_checks"] = [{
            "node_id": "feature_liveness", "status": "Approved", "method": "PASSIVE", "score": liveness_score,
            "reference_image": None, "video_url": None, "age_estimation": 33.0,
            "face_quality": 88.25, "face_luminance": 61.0, "matches": [], "warnings": []}]
    if face and "FACE_MATCH" in features:
        feats["face_matches"] = [{
            "node_id": "feature_face_match", "status": "Approved", "score": face_score,
            "source_image_session_id": None, "source_image": None, "target_image": None, "warnings": []}]
    if document and liveness:  # the flow ran to the end: every other workflow feature reports an item
        for name, array in _OTHER_ARRAYS.items():
            if name in features:
                feats[array] = [{"node_id": f"feature_{name.lower()}", "status": "Approved", "warnings": []}]
    if mismatch:
        warns = [(code, "error") for code in _mismatches(s["expected_details"] or {})]
    for risk, log_type in warns:
        array = FEATURE_ARRAYS.get(RISK_FEATURE.get(risk, "ID_VERIFICATION"), "id_verifications")
        if not feats.get(array):
            feats[array] = [{"node_id": f"feature_{array}", "status": "Approved", "warnings": []}]
        item = feats[array][0]
        item["warnings"].append(_warning(risk, log_type, item["node_id"]))
        target = {"error": "Declined", "warning": "In Review"}.get(log_type, "Approved")
        if _SEVERITY.get(target, 0) > _SEVERITY.get(item["status"], 0):
            item["status"] = target
    return feats


def _id_item(today: date, expiry: date | None) -> dict[str, Any]:
    dob: date = PERSON["date_of_birth"]
    age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
    exp = expiry or PERSON["expiry_date"]
    return {
        "node_id": "feature_ocr", "status": "Approved", "document_type": "Passport", "document_subtype": None,
        "document_number": PERSON["document_number"], "personal_number": None,
        "date_of_birth": dob.isoformat(), "age": age, "expiration_date": exp.isoformat(),
        "date_of_issue": exp.replace(year=exp.year - 10).isoformat(), "issuing_state": PERSON["issuing_country"],
        "issuing_state_name": "United Kingdom", "first_name": PERSON["given_name"],
        "last_name": PERSON["family_name"], "full_name": PERSON["full_name"], "gender": PERSON["sex"],
        "nationality": PERSON["nationality"], "address": None, "formatted_address": None, "parsed_address": None,
        "place_of_birth": "LONDON", "marital_status": "UNKNOWN", "portrait_image": None, "front_image": None,
        "back_image": None, "front_video": None, "back_video": None, "full_front_image": None,
        "full_back_image": None, "verification_method": "document", "extra_fields": {},
        "mrz": {"surname": PERSON["family_name"], "name": PERSON["given_name"], "country": "GBR",
                "nationality": "GBR", "birth_date": dob.strftime("%y%m%d"), "expiry_date": exp.strftime("%y%m%d"),
                "sex": PERSON["sex"], "document_type": "P", "document_number": PERSON["document_number"],
                "mrz_type": "TD3"},
        "warnings": [], "matches": [],
    }


def _warning(risk: str, log_type: str, node_id: str) -> dict[str, Any]:
    entry = RISKS.get(risk)
    message = entry.message if entry else risk
    return {"feature": RISK_FEATURE.get(risk, "ID_VERIFICATION"), "risk": risk, "additional_data": None,
            "log_type": log_type, "short_description": message,
            "long_description": f"{message} (sandbox).", "node_id": node_id}


def _mismatches(expected: dict[str, Any]) -> list[str]:
    codes = []
    if (expected.get("first_name") not in (None, PERSON["given_name"])
            or expected.get("last_name") not in (None, PERSON["family_name"])):
        codes.append("FULL_NAME_MISMATCH_WITH_PROVIDED")
    if expected.get("date_of_birth") not in (None, PERSON["date_of_birth"].isoformat()):
        codes.append("DOB_MISMATCH_WITH_PROVIDED")
    if expected.get("gender") not in (None, PERSON["sex"]):
        codes.append("GENDER_MISMATCH_WITH_PROVIDED")
    return codes or ["FULL_NAME_MISMATCH_WITH_PROVIDED"]
