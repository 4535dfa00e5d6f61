"""Didit's decision reading with its fast paths (issue 15) decides exactly as the reading it replaced
(``reference_parse.py``): over thousands of mutated decision objects — statuses, feature items, warnings and
their log types and risks, scores, identity fields, the listed features, reviews, the environment; missing,
null, extra and wrongly typed fields; copied and reordered items — both give the same :class:`Decision`
(outcome, reasons and warnings in order, identity, checks, dates) and the same sub-checks (names, states,
reasons, order), or refuse the same field with the same problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc.errors import EkycError
from ekyc.models import Outcome, SessionRef
from ekyc.providers.didit import parse
from tests.support.mutation import mutate

from . import reference_parse as reference

SID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REF = SessionRef(provider="didit", id=SID)


class Text(str):
    """A ``str`` subclass (a caller's Mapping may hold one): the strict readers accept it."""


def _warning(risk: str, log_type: str | None = "information") -> dict[str, Any]:
    return {"risk": risk, "log_type": log_type, "short_description": "x", "long_description": "y"}


def _decision() -> dict[str, Any]:
    """A decision with every kind of field the reading looks at, shaped like Didit's (and the sandbox's)."""
    idv = {"node_id": "feature_ocr", "status": "Approved", "document_type": "Passport", "document_number": "X1234567",
           "date_of_birth": "1990-01-02", "expiration_date": "2031-05-06", "date_of_issue": "2021-05-06",
           "issuing_state": "GBR", "first_name": "JANE", "last_name": "SAMPLE", "full_name": "JANE SAMPLE",
           "gender": "F", "nationality": "GBR", "address": "1 Road, London", "formatted_address": None,
           "warnings": [_warning("DOCUMENT_EXPIRED", "information")], "matches": []}
    return {
        "session_id": SID, "status": "Approved", "environment": "live", "vendor_data": "user-1",
        "features": ["ID_VERIFICATION", "LIVENESS", "FACE_MATCH", "AML"],
        "reviews": [{"new_status": "Approved", "created_at": "2026-01-02T03:04:05.123456Z", "comment": "ok"}],
        "id_verifications": [idv],
        "nfc_verifications": None,
        "liveness_checks": [{"node_id": "feature_liveness", "status": "Approved", "score": 97.3, "warnings": []}],
        "face_matches": [{"node_id": "feature_face_match", "status": "Approved", "score": 91.5,
                          "warnings": [_warning("LOW_FACE_MATCH_SIMILARITY", "warning")]}],
        "aml_screenings": [],
        "ip_analyses": [{"status": "Approved", "warnings": [_warning("VPN_DETECTED", "information")]}],
        "warnings": [_warning("POSSIBLE_DUPLICATED_USER", "information")],
    }


VALUES: list[Any] = [
    None, 0, -1, 7, 2**63, True, False, 1.5, 0.0, -0.0, 100.0, 100.5, -0.5, 50, float("inf"), "", " ", "x" * 129,
    "x" * 1025, "x" * 4097, [], {}, [{}], [None], ["x"], Text("Approved"), Text("1990-01-02"),
    # statuses, log types, features and risks Didit documents (and some it does not)
    "Approved", "Declined", "In Review", "Not Finished", "Not Started", "Expired", "In Progress", "Abandoned",
    "Resubmitted", "Kyc Expired", "Awaiting User", "APPROVED", "null", "error", "warning", "information",
    "ERROR", "ID_VERIFICATION", "LIVENESS", "FACE_MATCH", "NFC", "AML", "POA", "UNKNOWN_FEATURE",
    "DOCUMENT_EXPIRED", "LOW_FACE_MATCH_SIMILARITY", "NOT_A_RISK", "live", "sandbox", "staging",
    # identity values and dates
    "  JANE  ", "M", "f", "X", "passport", "Identity Card", "Driver's License", "GB", "GBR", "XX",
    "1990-01-02", "1990-02-30", "1990-01-02T00:00:00Z", "02/01/1990", "١٩٩٠-٠١-٠٢", "2026-01-02T03:04:05Z",
    "2026-13-02T03:04:05Z", "JANE\x00SAMPLE", "node", SID, "feature_ocr",
]
KEYS = ["status", "warnings", "score", "log_type", "risk", "new_status", "node_id", "feature", "created_at",
        "first_name", "full_name", "gender", "date_of_birth", "formatted_address", "document_type", "extra",
        "address", "nationality", "issuing_state", "date_of_issue"]




def _outcome(module: Any, doc: dict[str, Any], environment: str, stated: str | None) -> Any:
    """The decision and sub-checks a module reads from ``doc``, or what it refused (type, field, problem)."""
    try:
        decision = module.decide(doc, REF, expected_environment=environment, environment=stated)
        found = module.evidence(doc, module.features(doc))
        return decision, found
    except _wire.WireError as exc:
        return type(exc), exc.field, exc.problem
    except KeyError as exc:  # a missing status (decide's callers turn it into a ProviderError)
        return type(exc), exc.args
    except EkycError as exc:  # an identity field the model refuses (InvalidRequest naming it)
        return type(exc), exc.field, str(exc)


def assert_reads_alike(doc: dict[str, Any], environment: str = "live", stated: str | None = None) -> None:
    before = copy.deepcopy(doc)
    assert _outcome(parse, doc, environment, stated) == _outcome(reference, doc, environment, stated)
    assert doc == before  # neither reading changes the document


def test_the_base_decision_reads_alike() -> None:
    doc = _decision()
    assert_reads_alike(doc)
    assert parse.decide(doc, REF).outcome is Outcome.REVIEW  # AML listed, never run: a real REVIEW


@pytest.mark.parametrize("status", ["Approved", "Declined", "In Review", "Expired", "Abandoned", "Weird", None])
@pytest.mark.parametrize("item_status", ["Approved", "Declined", "In Review", "Not Finished", None, "X"])
def test_each_status_pair_reads_alike(status: str | None, item_status: str | None) -> None:
    doc = _decision()
    doc["status"] = status
    for array in ("id_verifications", "liveness_checks", "face_matches"):
        doc[array][0]["status"] = item_status
        doc[array][0]["warnings"] = []
    assert_reads_alike(doc)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), changes=st.integers(0, 4), environment=st.sampled_from(["live", "sandbox"]),
       stated=st.sampled_from([None, None, "live", "sandbox", "other"]))
def test_mutated_decisions_read_alike(data: st.DataObject, changes: int, environment: str,
                                      stated: str | None) -> None:
    doc = _decision()
    for _ in range(changes):
        mutate(doc, data, VALUES, KEYS)
    assert_reads_alike(doc, environment, stated)


#: ten characters that look like a date or nearly do: the fast path must read each as wire.iso_date does
DATES = ["1990-01-02", "0001-01-01", "9999-12-31", "0000-01-01", "1990-02-30", "1990-13-01", "2021-W01-1",
         "2021-W53-7", "2021-001-1", "1990-01-0 ", " 1990-01-0", "1990/01/02", "1990-1-02 ", "١٩٩٠-٠١-٠٢",
         "１９９０-０１-０２", "1990-01-02T", "19900102", "1990-01-02T00:00:00Z", "1990-01-02 00:00", "+990-01-02",
         "1990-0a-02", "1990-01-+2", "-990-01-02", "1990-01-\n2", "1990\u201301-02"]


@pytest.mark.parametrize("value", DATES)
def test_dates_read_as_the_wire_reader_does(value: str) -> None:
    def read(module: Any) -> Any:
        try:
            return module._date({"d": value}, "d", "x")
        except _wire.WireError as exc:
            return exc.field, exc.problem

    assert read(parse) == read(reference)
