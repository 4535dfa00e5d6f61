"""What the hot-path shortcuts (issue 15) may and may not do: shared instances are immutable and equal to what
construction gives, validation still runs for every new value, and the result models keep their invariants."""

from __future__ import annotations

import pytest

from ekyc.codes import CodeEntry
from ekyc.errors import InvalidRequest
from ekyc.models import CheckResult, Decision, Outcome, Reason, ReasonCode, SessionRef


def test_equal_check_results_share_one_frozen_instance() -> None:
    a, b = CheckResult(passed=True, score=80.0), CheckResult(passed=True, score=80.0)
    assert a is b and a == CheckResult.model_validate({"passed": True, "score": 80.0})
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        a.passed = False  # type: ignore[misc]
    assert CheckResult(passed=False) is not CheckResult(passed=True)


def test_interning_never_skips_validation() -> None:
    assert CheckResult(passed=1).passed is True  # lax bool, validated (1 is not the key of True)
    for bad in ({"score": 101.0}, {"score": -1.0}, {"score": float("nan")}, {"passed": "maybe"}, {"passed": [1]}):
        with pytest.raises(InvalidRequest):
            CheckResult(**bad)
        with pytest.raises(InvalidRequest):  # twice: a refused value is never cached
            CheckResult(**bad)


def test_code_entry_reason_is_kept_only_for_its_own_code() -> None:
    entry = CodeEntry(kind="status", code="Declined", message="declined", source="docs",
                      outcome=Outcome.DECLINED, reason=ReasonCode.DATA_MISMATCH)
    own = entry.to_reason()
    assert own is entry.to_reason("Declined") and own.provider_code == "Declined"
    other = entry.to_reason("Declined:extra")
    assert other.provider_code == "Declined:extra" and other is not own
    assert entry == CodeEntry(kind="status", code="Declined", message="declined", source="docs",
                              outcome=Outcome.DECLINED, reason=ReasonCode.DATA_MISMATCH)
    assert "_own_reason" not in repr(entry)


def test_decision_still_validates_its_invariants() -> None:
    ref = SessionRef(provider="didit", id="x")
    reason = Reason(code=ReasonCode.UNKNOWN, retryable=False)
    with pytest.raises(InvalidRequest):
        Decision(ref=ref, outcome=Outcome.APPROVED, reasons=(reason,))
    d = Decision(ref=ref, outcome=Outcome.DECLINED, reasons=(reason, reason))
    assert d.reasons == (reason,)  # duplicates folded by the validator


def test_sniffio_is_a_runtime_dependency_and_httpcore_finds_it() -> None:
    """httpcore asks sniffio which event loop runs on every async request; without it installed the import is
    retried (a sys.path scan) each time. ekyc declares it, so an async exchange leaves it imported once."""
    import asyncio
    import contextlib
    import sys
    from importlib.metadata import requires

    import httpx

    assert any(r.split(";")[0].strip().startswith("sniffio") for r in requires("ekyc-bridge") or [])

    async def one() -> None:
        async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport()) as http:
            with contextlib.suppress(httpx.TransportError):  # refused: the pool still asked for the loop
                await http.get("http://127.0.0.1:9/", timeout=0.5)

    asyncio.run(one())
    assert "sniffio" in sys.modules


def test_keyword_construction_runs_the_models_own_validator() -> None:
    """The metaclass builds a model from keywords with ``__pydantic_validator__.validate_python`` — what
    ``BaseModel.__init__`` runs — so no model may define its own ``__init__`` or ``model_post_init`` (they would
    be skipped), and the result must equal pydantic's own construction, refusals included."""
    from pydantic import BaseModel

    from ekyc import models

    classes = [c for c in vars(models).values() if isinstance(c, type) and issubclass(c, models._Model)]
    assert len(classes) >= 10
    for cls in classes:
        assert cls.__init__ is BaseModel.__init__, cls
        assert cls.model_post_init is BaseModel.model_post_init, cls
    ref = SessionRef(provider="didit", id="x", reference="user-1")
    assert ref == SessionRef.model_validate({"provider": "didit", "id": "x", "reference": "user-1"})
    reason = Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code="x")
    for bad_code in ("x" * 257, "\ud800x", 5):  # bounded text, encodable text, no coercion
        with pytest.raises(InvalidRequest, match="provider_code"):
            Reason(code=ReasonCode.UNKNOWN, retryable=False, provider_code=bad_code)
    d = Decision(ref=ref, outcome=Outcome.DECLINED, reasons=(reason, reason), reference="user-1")
    assert d == Decision.model_validate({"ref": ref, "outcome": "DECLINED", "reasons": [reason, reason],
                                         "reference": "user-1"})
    assert d.reasons == (reason,)  # the field validator still runs
    for bad in ({"ref": ref, "outcome": "MAYBE"}, {"ref": ref, "outcome": Outcome.APPROVED, "reasons": (reason,)},
                {"ref": ref, "outcome": Outcome.DECLINED, "reference": "x" * 257},
                {"ref": "didit:x", "outcome": "ERROR"},
                {"ref": ref, "outcome": Outcome.ERROR, "surprise": 1}):
        with pytest.raises(InvalidRequest):
            Decision(**bad)


def test_a_result_read_leaves_no_reference_cycles() -> None:
    """``get_result`` frees everything it builds by reference counting: a call that leaves reference cycles (a
    nested function that calls itself, an exception kept with its traceback) hands them to the garbage collector,
    whose collections then run more often in the app's process — a cost per call that in-process timings do not
    show (Stripe's form encoding left 11 objects per call in a cycle). Every provider, sync and async, on the
    replay of one real answer each (bench/_cpu.py)."""
    import asyncio
    import gc
    import sys
    from pathlib import Path

    import httpx

    import ekyc

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import _cpu

    rec = _cpu.record()
    transport = rec.transport()
    left: dict[str, int] = {}
    was_enabled = gc.isenabled()
    try:
        with ekyc.Client.from_config(rec.config, transport=transport) as client:
            for name, ref in rec.refs.items():
                client.get_result(ref)  # warm: anything built once is built now
                gc.collect()
                gc.disable()
                for _ in range(5):
                    client.get_result(ref)
                left[name] = gc.collect()
                gc.enable()

        async def read_async() -> None:
            async with ekyc.AsyncClient.from_config(rec.config, transport=httpx.MockTransport(
                    transport.handler)) as client:
                for name, ref in rec.refs.items():
                    await client.get_result(ref)
                    gc.collect()
                    gc.disable()
                    for _ in range(5):
                        await client.get_result(ref)
                    left[f"{name} (async)"] = gc.collect()
                    gc.enable()

        asyncio.run(read_async())
    finally:
        if was_enabled:
            gc.enable()
    assert len(left) == 2 * len(rec.refs) and not any(left.values()), left
