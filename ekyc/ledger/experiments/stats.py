"""Interval estimates and a significance test for comparing two providers' rates.

* :func:`wilson` — the Wilson score interval of one proportion (Wilson 1927; Newcombe 1998, method 3): good
  coverage at small ``n`` and rates near 0 or 1, unlike the Wald interval.
* :func:`newcombe` — the interval of a difference of two independent proportions from their Wilson intervals
  (Newcombe 1998, method 10, the "hybrid score" interval).
* :func:`two_proportion_z` — the pooled two-proportion z-test (two-sided p-value).

Normal quantiles come from the standard library (:class:`statistics.NormalDist`). The z-test's normal
approximation needs enough successes and failures in each arm: :func:`compare` says "sample too small to
conclude" unless every arm has at least :data:`MIN_EVENTS` of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

#: fewer successes or failures than this in an arm (the usual np >= 5 rule of the normal approximation) and
#: the comparison says "sample too small to conclude"
MIN_EVENTS = 5
_NORMAL = NormalDist()


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be between 0 and 1")
    return _NORMAL.inv_cdf(0.5 + confidence / 2.0)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` of ``successes / n``; ``(0.0, 1.0)`` when ``n`` is 0."""
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError("need 0 <= successes <= n")
    if n == 0:
        return (0.0, 1.0)
    z = _z(confidence)
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval of ``x1/n1 - x2/n2`` (independent samples)."""
    if n1 == 0 or n2 == 0:
        return (-1.0, 1.0)
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, confidence)
    l2, u2 = wilson(x2, n2, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, low), min(1.0, high))


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """The pooled two-proportion z-test of ``x1/n1 == x2/n2``: ``(z, two-sided p)``; ``(0.0, 1.0)`` when the
    pooled rate is 0 or 1 (nothing to tell apart) or an arm is empty."""
    if n1 == 0 or n2 == 0:
        return (0.0, 1.0)
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if var <= 0.0:
        return (0.0, 1.0)
    z = (x1 / n1 - x2 / n2) / math.sqrt(var)
    return (z, math.erfc(abs(z) / math.sqrt(2.0)))


@dataclass(frozen=True)
class Comparison:
    """One rate compared between two groups ``a`` and ``b`` (``difference`` = rate a − rate b)."""

    metric: str
    a: str
    b: str
    rate_a: float
    rate_b: float
    difference: float
    interval: tuple[float, float]
    test: str
    z: float
    p_value: float
    alpha: float
    enough_data: bool
    significant: bool
    verdict: str

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly form."""
        return {"metric": self.metric, "a": self.a, "b": self.b, "rate_a": self.rate_a, "rate_b": self.rate_b,
                "difference": self.difference, "interval": list(self.interval), "test": self.test,
                "z": self.z, "p_value": self.p_value, "alpha": self.alpha, "enough_data": self.enough_data,
                "significant": self.significant, "verdict": self.verdict}


def compare(metric: str, a: str, x1: int, n1: int, b: str, x2: int, n2: int, *,
            alpha: float = 0.05) -> Comparison:
    """Compare ``x1/n1`` (group ``a``) with ``x2/n2`` (group ``b``): Newcombe interval of the difference at
    ``1 - alpha``, two-proportion z-test at level ``alpha``, and a one-line verdict. With fewer than
    :data:`MIN_EVENTS` successes or failures in an arm the verdict is "sample too small to conclude" and
    ``significant`` is False whatever the p-value."""
    r1 = x1 / n1 if n1 else 0.0
    r2 = x2 / n2 if n2 else 0.0
    interval = newcombe(x1, n1, x2, n2, 1 - alpha)
    z, p = two_proportion_z(x1, n1, x2, n2)
    enough = min(x1, n1 - x1, x2, n2 - x2) >= MIN_EVENTS
    significant = enough and p < alpha
    if not enough:
        verdict = (f"sample too small to conclude (each arm needs at least {MIN_EVENTS} users with {metric} and "
                   f"{MIN_EVENTS} not)")
    elif significant:
        better = a if r1 > r2 else b
        verdict = f"{better} has the higher {metric} rate (p = {p:.3g} < {alpha:g})"
    else:
        verdict = f"no significant difference (p = {p:.3g} >= {alpha:g})"
    return Comparison(metric, a, b, r1, r2, r1 - r2, interval, "two-proportion z-test (pooled, two-sided)",
                      z, p, alpha, enough, significant, verdict)
