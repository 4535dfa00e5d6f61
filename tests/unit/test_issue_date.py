"""``Identity.issue_date``: the document's date of issue, read where the vendor reports one — Didit
``id_verifications[].date_of_issue`` (reference/didit.md §ID verification), Persona ``verification/government-id``
``issue-date`` (Persona OpenAPI 2025-12-08), Alibaba ``issueDate`` in the OCR result (reference/alibaba.md),
Stripe ``last_verification_report.document.issued_date`` (docs.stripe.com/api/identity/verification_reports/object).
Onfido's document report and Tencent's H5 result name no issue date for the general document (Onfido OpenAPI v3.6
has it for proof of address and US driving licences only), so theirs stays None."""

from __future__ import annotations

import pytest

from ekyc import Client
from ekyc.models import Identity
from ekyc.sandbox import Sandbox
from ekyc.sandbox.runner import run_scenario

READS_ISSUE_DATE = ("didit", "persona", "alibaba", "stripe")


@pytest.mark.parametrize("provider", READS_ISSUE_DATE, indirect=True)
def test_an_approved_document_reports_its_issue_date(client: Client, sandbox: Sandbox, provider: str) -> None:
    run = run_scenario(client, sandbox, provider, "approved")
    assert run.decision is not None and run.matched, run.problems
    ident = run.decision.identity
    assert ident.issue_date is not None and ident.expiry_date is not None
    assert ident.issue_date < ident.expiry_date
    assert ident.issue_date.isoformat() not in repr(run.decision)  # redacted like every personal field


@pytest.mark.parametrize("provider", ["onfido", "tencent"], indirect=True)
def test_providers_that_report_no_issue_date_leave_it_empty(client: Client, sandbox: Sandbox, provider: str) -> None:
    run = run_scenario(client, sandbox, provider, "approved")
    assert run.decision is not None and run.matched, run.problems
    assert run.decision.identity.issue_date is None


def test_issue_date_is_redacted_in_repr() -> None:
    from datetime import date

    assert "2019" not in repr(Identity(issue_date=date(2019, 3, 4)))
