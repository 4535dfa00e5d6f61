"""Compare providers on live traffic: bake-off metrics from the ledger, ``ekyc report`` and ``ekyc simulate``
(``docs/comparing-providers.md``).

Needs the ``report`` extra (the ledger's plus matplotlib for the HTML plots)::

    from ekyc.experiments import Filters, report, start

    session = start(ledger, request)                 # ledger.start + the split arm, country, document type
    rep = report(ledger.engine, Filters(countries=frozenset({"GBR"})), prices={"didit": 0.9})
    rep.providers[0].approval_rate, rep.comparisons[0].verdict
"""

from .metrics import Filters, GroupMetrics, Record, Report, compute, load, report
from .stats import Comparison, compare, newcombe, two_proportion_z, wilson
from .tags import start, tag

__all__ = [
    "Comparison",
    "Filters",
    "GroupMetrics",
    "Record",
    "Report",
    "compare",
    "compute",
    "load",
    "newcombe",
    "report",
    "start",
    "tag",
    "two_proportion_z",
    "wilson",
]
