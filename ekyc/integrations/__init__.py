"""Drop-in web integrations over the ledger: the three endpoints every app needs — start, return, webhooks — plus
a status endpoint, for Starlette/FastAPI (:mod:`ekyc.integrations.starlette`) and Django
(:mod:`ekyc.integrations.django`). See ``docs/integrations.md``.

This package imports no web framework: its framework-neutral core (:mod:`ekyc.integrations._core`, re-exported
here) holds the configuration, the outcome JSON, the answers each vendor expects, the launch-page rule and the
redirect/origin checks that both framework adapters share. Needs the ``ledger`` extra; the Starlette adapter
the ``starlette`` extra, the Django one Django.
"""

from ._core import (
    CHANGES,
    DECIDED,
    ERRORS,
    NONE,
    PAGE_HEADERS,
    PATHS,
    Answer,
    Config,
    CurrentUser,
    OnDecision,
    after_start,
    auto_launch,
    changed_sessions,
    decided,
    error_answer,
    error_code,
    failure,
    login_location,
    needs_launch_page,
    origin_of,
    resolve,
    return_location,
    safe_redirect,
    same_origin_request,
    start_arguments,
    start_provider,
    status_body,
    user_reference,
    webhook_answer,
    webhook_body,
)

__all__ = [
    "CHANGES",
    "DECIDED",
    "ERRORS",
    "NONE",
    "PAGE_HEADERS",
    "PATHS",
    "Answer",
    "Config",
    "CurrentUser",
    "OnDecision",
    "after_start",
    "auto_launch",
    "changed_sessions",
    "decided",
    "error_answer",
    "error_code",
    "failure",
    "login_location",
    "needs_launch_page",
    "origin_of",
    "resolve",
    "return_location",
    "safe_redirect",
    "same_origin_request",
    "start_arguments",
    "start_provider",
    "status_body",
    "user_reference",
    "webhook_answer",
    "webhook_body",
]
