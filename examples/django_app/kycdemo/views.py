"""The example's one page: who is signed in, their verification as the ledger holds it, a "Verify my identity"
button (the ekyc app's start view), and what came back."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ekyc.integrations import status_body
from ekyc.integrations.django.conf import config, get_ledger, reference_of

from .apps import DECISIONS

#: what a user is told for each neutral error code of the return view (the rest: "try again")
ERRORS = {
    "session_mismatch": "That verification link belongs to someone else: nothing was changed.",
    "unrecognized_return": "That return link was not recognized: nothing was changed.",
    "no_session": "You have no verification yet.",
}


def home(request: HttpRequest) -> HttpResponse:
    reference = reference_of(request.user)
    status = signal = None
    if reference is not None:
        ledger = get_ledger()
        status = status_body(ledger.status(reference), ledger.policy)
        signal = DECISIONS.get(reference)
    error = request.GET.get("kyc_error")
    return render(request, "kycdemo/home.html", {
        "status": status, "signal": signal, "provider": config().provider or get_ledger().client.default_provider,
        "error": ERRORS.get(error, "Something went wrong; please try again.") if error else None,
    })
