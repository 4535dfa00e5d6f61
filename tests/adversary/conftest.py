"""Known open faults of issue 11, as strict xfails: main stays green while they are open, and the suite fails
loudly (XPASS strict) the moment one is fixed — then delete its line here.

Keys are test node ids relative to this folder (``file::test[param]``); a key without ``[param]`` covers every
parametrization. The tests themselves never name a provider.
"""

from __future__ import annotations

from typing import Any

import pytest

KNOWN_OPEN: dict[str, str] = {
    # -- item 3: strict wire reading -------------------------------------------------------------------
    "test_payloads.py::test_lexical_attacks_never_approve_and_raise_only_typed_errors[alibaba]":
        "issue 11 item 3: Ext* JSON strings are read with json.loads (duplicate keys, NaN, out-of-range numbers "
        "approve) in ekyc/providers/alibaba/parse.py",
    # -- item 2/3: the evidence rule and strict value readers --------------------------------------------
    "test_payloads.py::test_sensitivity_oracle[alibaba]":
        "issue 11 item 2/3: SubCode 200 as a number, null/missing ocrIdPassed/spoofResult/faceAttack/facePassed "
        "approve (ekyc/providers/alibaba/parse.py)",
    "test_payloads.py::test_random_mutations_never_approve_what_the_rules_forbid[alibaba]":
        "issue 11 items 2/3: the same faults, found by random mutation",
    # -- item 4: a typed boundary ------------------------------------------------------------------------
    "test_boundary.py::test_create_session_raises_only_typed_errors":
        "issue 11 item 4: create_session(request, **fields) skips validation (model_copy): checks='document' → "
        "AttributeError, document_types=None → TypeError, return_url='http://[::1/?token=a' reaches the Didit "
        "emulator and crashes it (ValueError) — ekyc/client.py _request; ekyc/providers/didit/emulator.py _valid_url",
    **{f"test_boundary.py::test_bad_create_input_is_refused_typed_before_any_network_call[{case}-{p}]":
       "issue 11 item 4: create_session(request, **fields) skips validation (ekyc/client.py _request)"
       for case in ("empty reference", "unknown country", "javascript return URL",
                    "checks as a bare string of a check list") for p in ("didit", "tencent", "alibaba")},
    "test_boundary.py::test_bad_create_input_is_refused_typed_before_any_network_call[a set in metadata-alibaba]":
        "issue 11 item 4: Alibaba sends metadata with a set inside (ekyc/providers/alibaba/adapter.py)",
    "test_boundary.py::test_bad_create_input_is_refused_typed_before_any_network_call[NaN in metadata-alibaba]":
        "issue 11 item 4: Alibaba sends metadata with NaN inside (ekyc/providers/alibaba/adapter.py)",
    "test_boundary.py::test_bad_create_input_is_refused_typed_before_any_network_call"
    "[an e-mail of 20k characters-didit]":
        "issue 11 item 9: a 20k-character contact_email reaches Didit (ekyc/models.py: no length cap)",
    "test_boundary.py::test_get_result_raises_only_typed_errors":
        "issue 11 item 4: get_result(None) → AttributeError (ekyc/client.py _ref)",
    "test_boundary.py::test_a_ref_with_a_trailing_newline_never_reaches_the_provider":
        "issue 11 item 4: get_result(None) → AttributeError (ekyc/client.py _ref)",
    "test_boundary.py::test_parse_return_url_raises_only_typed_errors":
        "issue 11 item 4: parse_return_url('http://[::1app.example/…') → ValueError from urlsplit in every "
        "adapter's parse_return_url (ekyc/providers/*/adapter.py)",
    "test_boundary.py::test_parse_webhook_raises_only_typed_errors[tencent]":
        "issue 11 item 4: parse_webhook(b'', None, 'tencent') → AttributeError (headers not a mapping; "
        "ekyc/client.py parse_webhook or ekyc/provider.py header)",
    "test_boundary.py::test_extension_methods_raise_only_typed_errors[didit]":
        "issue 11 item 4: Didit create_workflow(checks=None) → TypeError, checks=['0'] → ValueError "
        "(ekyc/providers/didit/extension.py)",
    "test_boundary.py::test_async_client_raises_only_typed_errors":
        "issue 11 item 4: AsyncClient.create_session(request, **fields) skips validation (ekyc/client.py _request)",
    "test_boundary.py::test_cli_fails_with_one_line_and_a_non_zero_exit_never_a_traceback"
    "[check-config, misspelled credentials]":
        "issue 11 item 8: check-config exits 0 with EKYC_PROVIDER=didit and DIDIT_APIKEY (misspelled) "
        "(ekyc/cli/app.py check_config, ekyc/settings.py)",
    "test_boundary.py::test_cli_fails_with_one_line_and_a_non_zero_exit_never_a_traceback"
    "[check-config, production without providers]":
        "issue 11 item 8: check-config exits 0 with EKYC_ENV=production and no provider (ekyc/cli/app.py)",
}


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    for item in items:
        nodeid = item.nodeid.split("tests/adversary/", 1)[-1]
        reason = KNOWN_OPEN.get(nodeid) or KNOWN_OPEN.get(nodeid.split("[", 1)[0])
        if reason is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
