"""The interval and test formulas against published values, and their behaviour over many seeded samples."""

from __future__ import annotations

import random

import pytest

from ekyc.ledger.experiments.stats import MIN_EVENTS, compare, newcombe, two_proportion_z, wilson


def test_wilson_matches_newcombe_1998_table() -> None:
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score, no correction)
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(15, 148) == pytest.approx((0.0624, 0.1605), abs=1e-4)
    assert wilson(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson(1, 29) == pytest.approx((0.0061, 0.1718), abs=1e-4)


def test_newcombe_difference_matches_newcombe_1998_table() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II, method 10: 56/70 - 48/80
    assert newcombe(56, 70, 48, 80) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    # 9/10 - 3/10: 0.1705 to 0.8090
    assert newcombe(9, 10, 3, 10) == pytest.approx((0.1705, 0.8090), abs=1e-4)


def test_two_proportion_z_test() -> None:
    # pooled 104/150: z = 0.2 / sqrt(104/150 * 46/150 * (1/70 + 1/80)) = 2.6502; two-sided p = erfc(z / sqrt 2)
    z, p = two_proportion_z(56, 70, 48, 80)
    assert z == pytest.approx(2.6502, abs=1e-3)
    assert p == pytest.approx(0.00804, abs=1e-4)
    assert two_proportion_z(5, 10, 5, 10) == (0.0, 1.0)
    assert two_proportion_z(10, 10, 20, 20) == (0.0, 1.0)  # nothing varies: nothing to test


def test_small_samples_never_conclude() -> None:
    c = compare("approval", "a", 4, 4, "b", 0, 4)
    assert c.p_value < 0.01
    assert not c.enough_data and not c.significant
    assert "sample too small to conclude" in c.verdict
    big = compare("approval", "a", 90, 100, "b", 60, 100)
    assert big.enough_data and big.significant and big.verdict.startswith("a has the higher")
    assert MIN_EVENTS <= 10


def test_coverage_and_error_rates_over_seeded_samples() -> None:
    """Over 400 seeded experiments: the Wilson interval covers the true rate about 95 % of the time, the test
    flags an absent difference about 5 % of the time and a 15-point difference almost always."""
    rng = random.Random(21)
    n, runs = 300, 400
    covered = false_alarms = found = 0
    for _ in range(runs):
        a = sum(rng.random() < 0.8 for _ in range(n))
        b = sum(rng.random() < 0.8 for _ in range(n))
        c = sum(rng.random() < 0.65 for _ in range(n))
        low, high = wilson(a, n)
        covered += low <= 0.8 <= high
        false_alarms += compare("approval", "a", a, n, "b", b, n).significant
        found += compare("approval", "a", a, n, "c", c, n).significant
    assert covered / runs >= 0.92
    assert false_alarms / runs <= 0.08
    assert found / runs >= 0.95
