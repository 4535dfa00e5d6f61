"""The one memory of passing sub-checks (ekyc.evidence.passed), shared by every adapter."""

from __future__ import annotations

import threading

from ekyc import evidence
from ekyc.evidence import Evidence, State, passed


def test_a_passing_sub_check_is_the_one_remembered_for_its_name() -> None:
    first = passed("liveness_checks[0].status")
    assert first == Evidence("liveness_checks[0].status", State.PASSED)
    assert first.reason is None and type(first.state) is State
    assert passed("liveness_checks[0].status") is first


def test_a_long_name_gives_its_evidence_and_is_not_kept() -> None:
    name = "ExtSourceInfo." + "k" * 200  # a sender's key can make a name of any length
    assert passed(name) == Evidence(name, State.PASSED)
    assert name not in evidence._PASSED


def test_the_memory_stays_bounded_and_a_full_one_starts_afresh() -> None:
    names = [f"ExtSourceInfo.key{i}" for i in range(3 * evidence._MAX_PASSED)]  # a flood of new names
    for name in names:
        assert passed(name) == Evidence(name, State.PASSED)
        assert len(evidence._PASSED) <= evidence._MAX_PASSED
    usual = passed("OCRResult[0].IsPass")
    assert evidence._PASSED["OCRResult[0].IsPass"] is usual  # the flood does not keep the usual names out


def test_threads_sharing_the_memory_get_the_evidence_of_their_own_names() -> None:
    wrong: list[str] = []

    def work(n: int) -> None:
        for i in range(2000):
            name = f"t{n}.check{i % 700}"
            found = passed(name)
            if found.name != name or found.state is not State.PASSED or found.reason is not None:
                wrong.append(name)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
    assert len(evidence._PASSED) <= evidence._MAX_PASSED
