"""Tencent's result reading with its fast paths (issue 15) decides exactly as the reading it replaced
(``reference_parse.py`` and ``reference_identity.py``): over thousands of mutated ``Response`` objects — result
codes, attempts and their codes, scores, tags and timestamps, OCR results with their warnings, cards and dates,
``Extra``; missing, null, extra and wrongly typed fields; copied and reordered items — read against every kind of
create configuration, both give the same :class:`Decision` (outcome, reasons and warnings in order, identity,
checks, attempts), or refuse the same field with the same problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc.errors import EkycError
from ekyc.models import Outcome, SessionRef
from ekyc.providers.tencent import identity, parse
from ekyc.providers.tencent.requested import UNKNOWN, Requested
from tests.support.mutation import mutate

from . import reference_identity, reference_parse

TOKEN = "D70DEBE1-9EC4-4D4E-8A3D-8B9945300277"
REQUESTS = [UNKNOWN, Requested(1, None), Requested(2, None), Requested(3, frozenset()), Requested(4, None),
            Requested(1, frozenset({-9101}))]
REFS = [SessionRef(provider="tencent", id=TOKEN), SessionRef(provider="tencent", id=TOKEN, reference="user-1")]


class Text(str):
    """A ``str`` subclass (a caller's Mapping may hold one)."""


def _detail(code: int = 0, similarity: float = 92.57) -> dict[str, Any]:
    return {"ErrorCode": code, "ErrorMsg": "Success", "LivenessErrorCode": code, "LivenessErrorMsg": "Success",
            "CompareErrorCode": code, "CompareErrorMsg": "Success", "ReqTimestamp": 1796063602988,
            "Similarity": similarity, "Seq": "c24a84ed-74cb-468e-925a-c06b9f172150", "LivenessInfoTag": None}


def _response() -> dict[str, Any]:
    """An approved result with two attempts and a passport, shaped like Tencent's (and the sandbox's)."""
    passport = {"LicenseNumber": "X1234567", "FullName": "JANE SAMPLE", "Surname": "SAMPLE", "GivenName": "JANE",
                "Birthday": "1990-01-02", "Sex": "F", "DateOfExpiration": "2031-05-06", "IssuingCountry": "GBR",
                "NationalityCode": "GBR", "PassportCodeFirst": "P<GBRSAMPLE<<JANE<<<", "PassportCodeSecond": "X1"}
    return {
        "ErrorCode": 0, "ErrorMsg": "Success", "Extra": "user-1", "RequestId": "11c184a9",
        "VerificationDetailList": [_detail(1001, 12.5), _detail()],
        "VideoBase64": None, "BestFrameBase64": "/9j/4AAQ",
        "OCRResult": [{"IsPass": True, "CardImageBase64": "/9j/", "WarnCardInfos": [], "RequestId": "c6103351",
                       "NormalCardInfo": {"InternationalIDPassport": passport}}],
    }


VALUES: list[Any] = [
    None, 0, -1, 1, 7, 2**63, -(2**63) - 1, True, False, 1.5, 0.0, -0.0, 69.99, 70.0, 100.0, 100.5, 1796063602988,
    7258118400000, "", " ", "0", "x" * 257, "x" * 1001, [], {}, [{}], [None], ["01"], ["05", "99"], [-9101],
    [-9101, -9999], ["-9101"], Text("1990-01-02"), Text("GBR"),
    # result codes, warnings and tags Tencent documents (and some it does not)
    1001, 1002, 2016, 3, 9, 17, 202, 99999, -9101, -9102, -9107, "01", "12", "99",
    # identity values and dates
    "  JANE  ", "M", "male", "女", "X", "GB", "GBR", "XX", "1990-01-02", "1990/01/02", "02 JAN 1990",
    "1990-02-30", "2021-W01-1", "١٩٩٠-٠١-٠٢", "JAKARTA, 02-01-1990", "2010.01.01-2030.01.01", "19900102",
    "user-1", "user-2", {"Street": "x"}, '{"HKIDCard": {"Name": "A"}}',
]
KEYS = ["ErrorCode", "Similarity", "LivenessInfoTag", "WarnCardInfos", "IsPass", "NormalCardInfo",
        "OriginalCardInfo", "Extra", "MainlandIDCard", "HKIDCard", "ValidDate", "Address", "FormattedAddress",
        "Name", "DateOfBirth", "Nationality", "extra"]




def _outcome(module: Any, doc: dict[str, Any], ref: SessionRef, requested: Requested) -> Any:
    """The decision a module reads from ``doc``, or what it refused (type, field, problem)."""
    try:
        return module.decide(ref, doc, requested)
    except _wire.WireError as exc:
        return type(exc), exc.field, exc.problem
    except EkycError as exc:  # SessionMismatch, or an identity field the model refuses (InvalidRequest)
        return type(exc), exc.field, str(exc)


def assert_reads_alike(doc: dict[str, Any], ref: SessionRef, requested: Requested) -> None:
    before = copy.deepcopy(doc)
    assert _outcome(parse, doc, ref, requested) == _outcome(reference_parse, doc, ref, requested)
    assert doc == before  # neither reading changes the document


def test_the_base_result_reads_alike() -> None:
    doc = _response()
    for requested in REQUESTS:
        for ref in REFS:
            assert_reads_alike(doc, ref, requested)
    assert parse.decide(REFS[1], doc, REQUESTS[1]).outcome is Outcome.APPROVED


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), changes=st.integers(0, 4), requested=st.sampled_from(REQUESTS), ref=st.sampled_from(REFS))
def test_mutated_results_read_alike(data: st.DataObject, changes: int, requested: Requested,
                                    ref: SessionRef) -> None:
    doc = _response()
    for _ in range(changes):
        mutate(doc, data, VALUES, KEYS)
    assert_reads_alike(doc, ref, requested)


#: what a card's date field may hold: the fast path must read each as the formats do
DATES = ["1990-01-02", "0001-01-01", "9999-12-31", "0000-01-01", "1990-02-30", "1990-13-01", "2021-W01-1",
         "2021-001-1", "1990-01-0 ", " 1990-01-02 ", "1990/01/02", "١٩٩٠-٠١-٠٢", "１９９０-０１-０２", "19900102",
         "1990-01-02T00:00:00Z", "+990-01-02", "-990-01-02", "1990-1-2", "02-01-1990", "1990-0a-02", None, 7, ""]


@pytest.mark.parametrize("value", DATES)
def test_card_dates_read_as_before(value: Any) -> None:
    assert identity.parse_date(value) == reference_identity.parse_date(value)


@pytest.mark.parametrize("stamp", [0, 1, 999, 1796063602988, 7_258_118_399_999, 7_258_118_400_000, 2**63 - 1, 2**63,
                                   -1, True, 1.5, "1796063602988", None])
def test_attempt_times_read_as_wire_epoch(stamp: Any) -> None:
    def read(fn: Any) -> Any:
        try:
            return fn()
        except _wire.WireError as exc:
            return exc.field, exc.problem

    where = "VerificationDetailList[0]"
    assert read(lambda: parse._detail({"ReqTimestamp": stamp}, where, None).attempt.at) == read(
        lambda: _wire.epoch(stamp, f"{where}.ReqTimestamp", millis=True))
