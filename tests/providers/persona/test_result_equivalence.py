"""Persona's inquiry reading with its fast paths (issue 15) decides exactly as the straightforward reading it
replaced (``reference_result.py``, every field through the strict readers): over thousands of mutated inquiry
documents — statuses, check names and requirements, missing, null, extra and wrongly typed fields, duplicated,
reordered and foreign included objects, requested classes and countries, both template setups — both give the
same :class:`Decision` and the same sub-checks (names, states, reasons, order), or refuse the same field with the
same problem."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ekyc import _wire
from ekyc.errors import EkycError
from ekyc.models import SessionRef
from ekyc.providers.persona import result
from tests.support.mutation import mutate

from . import reference_result as reference

INQUIRY = "inq_Equiv1"


class Text(str):
    """A ``str`` subclass (a caller's Mapping may hold one): the strict readers accept it, the fast paths pass it
    to them."""


def _check(name: str, status: str = "passed", requirement: str = "required") -> dict[str, Any]:
    return {"name": name, "status": status, "reasons": [], "requirement": requirement, "metadata": {}}


GID_CHECKS = ["id_aamva_database_lookup", "id_barcode_detection", "id_blur_detection", "id_expired_detection",
              "id_glare_detection", "id_inquiry_comparison", "id_mrz_detection", "id_tamper_detection"]
SELFIE_CHECKS = ["selfie_id_comparison", "selfie_liveness_detection", "selfie_glasses_detection"]


def _inquiry() -> dict[str, Any]:
    """An approved inquiry with a government ID and a selfie, shaped like the sandbox's (and Persona's) answer."""
    stamps = {"created-at": "2026-01-02T03:04:05.000Z", "started-at": "2026-01-02T03:04:06.000Z",
              "completed-at": "2026-01-02T03:05:00.000Z", "decisioned-at": "2026-01-02T03:06:00.123Z",
              "failed-at": None, "expired-at": None}
    gid = {"status": "passed", "created-at-ts": 1767323046, "from-reusable-persona": False, "country-code": "GB",
           "id-class": "pp", "name-first": "JANE", "name-middle": None, "name-last": "SAMPLE", "sex": "F",
           "birthdate": "1990-01-02", "nationality": "GB", "identification-number": "X1", "document-number": "D2",
           "issue-date": "2020-01-01", "expiration-date": "2030-01-01", "address-street-1": "1 Road",
           "address-city": "London", "address-postal-code": "N1",
           "checks": [_check(n, requirement="not_required" if n == "id_glare_detection" else "required")
                      for n in GID_CHECKS]}
    selfie = {"status": "passed", "created-at-ts": 1767323047, "from-reusable-persona": False,
              "checks": [_check(n) for n in SELFIE_CHECKS]}
    included = [{"type": t, "id": i, "attributes": a,
                 "relationships": {"inquiry": {"data": {"type": "inquiry", "id": INQUIRY}}}}
                for t, i, a in (("verification/government-id", "ver_G", gid), ("verification/selfie", "ver_S", selfie))]
    included.append({"type": "inquiry-session", "id": "iqse_1", "attributes": {"status": "active"}})
    return {"data": {"type": "inquiry", "id": INQUIRY,
                     "attributes": {"status": "approved", "reference-id": "user-1", **stamps},
                     "relationships": {"verifications": {"data": [
                         {"type": "verification/government-id", "id": "ver_G"},
                         {"type": "verification/selfie", "id": "ver_S"}]}}},
            "included": included}


VALUES: list[Any] = [
    None, 0, -1, 7, 2**63, 1767323040, True, False, 1.5, "", " ", "x" * 129, "x" * 4097, [], {}, [{}], [None],
    Text("passed"), Text("ver_G"),
    # statuses, requirements and names Persona documents (and some it does not)
    "passed", "failed", "not_applicable", "initiated", "submitted", "requires_retry", "tentatively_passed",
    "confirmed", "skipped", "canceled", "Passed", "required", "not_required", "requires_retry", "optional",
    "approved", "completed", "declined", "needs_review", "expired", "created", "pending", "Approved",
    "id_glare_detection", "id_tamper_detection", "selfie_liveness_detection", "selfie_id_comparison",
    "id_brand_new_detection", "verification/government-id", "verification/selfie", "verification/database",
    "inquiry", "ver_G", "ver_S", "ver_X", INQUIRY, "inq_Other",
    # dates, classes, countries, names
    "2025-01-01T00:00:00.000Z", "2025-01-01T00:00:00.1234567+01:00", "2025-13-01", "1990-01-02", "1990-02-30",
    "GB", "US", "XX", "dl", "pp", "id", "  JANE  ", "M",
    # check reasons and metadata
    ["expired"], ["no_government_id", "x" * 129], [1], {"k": "v"}, {"name": "passed"}, Text("required"),
]


#: the keys a mutation may add
ADDED_KEYS = ["status", "checks", "extra", "reasons", "id", "type", "metadata", "requirement", "name"]


def _outcome(module: Any, doc: dict[str, Any], ref: SessionRef, decisioning: str) -> Any:
    """The decision and sub-checks a module reads from ``doc``, or what it refused (type, field, problem)."""
    try:
        decision = module.decide(doc, ref, decisioning)
        return decision, module.evidence(module.verifications(doc, ref.id))
    except _wire.WireError as exc:
        return type(exc), exc.field, exc.problem
    except EkycError as exc:  # an identity field the model refuses (InvalidRequest naming it)
        return type(exc), exc.field, str(exc)


def assert_reads_alike(doc: dict[str, Any], ref: SessionRef, decisioning: str) -> None:
    before = copy.deepcopy(doc)
    assert _outcome(result, doc, ref, decisioning) == _outcome(reference, doc, ref, decisioning)
    assert doc == before  # neither reading changes the document


EXTRAS = [(), ("classes=pp.ppc",), ("country=GB",), ("classes=dl", "country=US"), ("classes=pp.ppc", "country=GB")]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), changes=st.integers(0, 4), extra=st.sampled_from(EXTRAS),
       decisioning=st.sampled_from(["workflow", "completion"]))
def test_mutated_inquiries_read_alike(data: st.DataObject, changes: int, extra: tuple[str, ...],
                                      decisioning: str) -> None:
    doc = _inquiry()
    for _ in range(changes):
        mutate(doc, data, VALUES, ADDED_KEYS)
    assert_reads_alike(doc, SessionRef(provider="persona", id=INQUIRY, extra=extra), decisioning)


@pytest.mark.parametrize("status", ["passed", "failed", "not_applicable", "Passed", None])
@pytest.mark.parametrize("requirement", ["required", "not_required", "requires_retry", "optional", None])
@pytest.mark.parametrize("name", ["selfie_liveness_detection", "id_glare_detection", "id_brand_new_detection"])
def test_every_check_status_and_requirement_reads_alike(status: str | None, requirement: str | None,
                                                        name: str) -> None:
    for verification_status in ("passed", "failed"):
        doc = _inquiry()
        doc["included"][1]["attributes"]["status"] = verification_status
        doc["included"][1]["attributes"]["checks"][1].update(name=name, status=status, requirement=requirement)
        for inquiry_status in ("approved", "declined", "needs_review", "completed", "failed"):
            doc["data"]["attributes"]["status"] = inquiry_status
            for decisioning in ("workflow", "completion"):
                assert_reads_alike(doc, SessionRef(provider="persona", id=INQUIRY), decisioning)


def test_checks_read_alike_once_the_memory_of_read_checks_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Filled by one inquiry of many distinct checks, the memory is emptied and starts again (red team: a full
    memory stayed full for the process's life, and every later inquiry read its checks the slow way)."""
    monkeypatch.setattr(result, "_CHECKS_READ", {})
    monkeypatch.setattr(result, "_LISTS_READ", {})  # lists already read never reach the memory of checks
    monkeypatch.setattr(result, "MAX_CHECKS_READ", 3)
    doc = _inquiry()
    doc["included"][0]["attributes"]["checks"][2]["status"] = "failed"
    many = copy.deepcopy(doc)
    checks = many["included"][0]["attributes"]["checks"]
    checks[:] = [{**checks[0], "name": f"check_{i}"} for i in range(10)]  # ten checks no other inquiry has
    assert_reads_alike(many, SessionRef(provider="persona", id=INQUIRY), "workflow")
    assert 0 < len(result._CHECKS_READ) <= 3
    assert_reads_alike(doc, SessionRef(provider="persona", id=INQUIRY), "workflow")
    names = {c["name"] for item in doc["included"] for c in item["attributes"].get("checks") or ()}
    assert 0 < len(result._CHECKS_READ) <= 3 and all(key[2] in names for key in result._CHECKS_READ)


IDENTITY_KEYS = ["name-first", "name-middle", "name-last", "id-class", "sex", "country-code", "birthdate",
                 "nationality", "identification-number", "document-number", "issue-date", "expiration-date",
                 "address-street-1", "address-city", "address-postal-code"]


@pytest.mark.parametrize("key", IDENTITY_KEYS)
@pytest.mark.parametrize("value", [None, "", " ", "  JANE  ", "x" * 4097, "x" * 1025, 5, ["a"], Text(" pp "),
                                   "1990-01-02", "DL", "XX", "GB", "gb", " GB ", "GBR", "GBD", "M", "x" * 64])
def test_every_identity_field_reads_alike(key: str, value: Any) -> None:
    doc = _inquiry()
    doc["included"][0]["attributes"][key] = value
    assert_reads_alike(doc, SessionRef(provider="persona", id=INQUIRY, extra=("classes=pp.ppc", "country=GB")),
                       "workflow")


def _lists_kept() -> list[Any]:
    return [kept for seen in result._LISTS_READ.values() for kept, _ in seen]


def test_a_list_of_checks_read_again_reads_as_the_first_time_and_changes_after_it_are_read(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The memory of lists of checks keeps a copy: a document changed in place after it was read (a check failed,
    one removed, a value of another type or a subclass equal to the kept string) reads as the strict reading."""
    monkeypatch.setattr(result, "_LISTS_READ", {})
    ref = SessionRef(provider="persona", id=INQUIRY)
    doc = _inquiry()
    assert_reads_alike(doc, ref, "workflow")
    assert len(_lists_kept()) == 2
    checks = doc["included"][0]["attributes"]["checks"]
    for change in (lambda c: c[2].update(status="failed"), lambda c: c[2].update(status=Text("failed")),
                   lambda c: c[2].update(status=None), lambda c: c[2].update(reasons=None),
                   lambda c: c[2].update(reasons=("x",)), lambda c: c[2].update(requirement=True),
                   lambda c: c[2].update(status=1), lambda c: c.pop(), lambda c: c.append(dict(c[0])),
                   lambda c: c[0].pop("requirement"), lambda c: c[0].update(name=Text(c[0]["name"]))):
        before = copy.deepcopy(checks)
        change(checks)
        for decisioning in ("workflow", "completion"):
            assert_reads_alike(doc, ref, decisioning)
            assert_reads_alike(doc, ref, decisioning)  # read again: now from the memory when it was kept
        checks[:] = before
        assert_reads_alike(doc, ref, "workflow")
    assert all(len(seen) <= result.LISTS_PER_PLACE for seen in result._LISTS_READ.values())


def test_the_memory_of_lists_of_checks_keeps_no_free_form_data_and_stays_bounded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Metadata (free-form), undocumented fields, reasons that are not strings and lists too long are never
    kept; the memory keeps a few lists per place and starts again when it has too many places."""
    monkeypatch.setattr(result, "_LISTS_READ", {})
    ref = SessionRef(provider="persona", id=INQUIRY)
    for change in ({"metadata": {"name-first": "JANE"}}, {"note": "JANE"}, {"reasons": [{"name": "JANE"}]}):
        doc = _inquiry()
        doc["included"][0]["attributes"]["checks"][1].update(change)
        assert_reads_alike(doc, ref, "workflow")
        assert_reads_alike(doc, ref, "workflow")
        assert "JANE" not in repr(_lists_kept())
    for checks in ([{**_check(f"id_check_{i}")} for i in range(result.MAX_KEPT_CHECKS + 1)],
                   [_check("id_glare_detection") | {"reasons": ["expired"] * (result.MAX_KEPT_REASONS + 1)}],
                   [_check("id_glare_detection") | {"reasons": ["x" * (result.CODE_LEN + 1)]}]):
        doc = _inquiry()
        doc["included"][0]["attributes"]["checks"] = checks
        assert_reads_alike(doc, ref, "workflow")
        assert checks not in _lists_kept()  # too long to keep: read each time
    monkeypatch.setattr(result, "MAX_PLACES", 3)
    for extra in range(6):  # the verifications at ever later places
        doc = _inquiry()
        doc["included"][:0] = [{"type": "inquiry-session", "id": f"iqse_{i}"} for i in range(extra)]
        for status in ("passed", "failed", "not_applicable", "skipped", "canceled", "x", "y"):
            doc["included"][extra]["attributes"]["checks"][0]["status"] = status
            assert_reads_alike(doc, ref, "workflow")
        assert 0 < len(result._LISTS_READ) <= 3
        assert all(len(seen) <= result.LISTS_PER_PLACE for seen in result._LISTS_READ.values())


@pytest.mark.parametrize("length", [127, 128, 129, 200, 512])
def test_an_inquiry_id_of_any_length_the_ref_allows_reads_alike(length: int) -> None:
    """The inquiry's id is a code of at most 128 characters wherever it is read, also when it equals the ref's (a
    SessionRef allows 512)."""
    iid = "inq_" + "x" * (length - 4)
    doc = _inquiry()
    doc["data"]["id"] = iid
    for item in doc["included"][:2]:
        item["relationships"]["inquiry"]["data"]["id"] = iid
    assert_reads_alike(doc, SessionRef(provider="persona", id=iid), "workflow")
