"""The code table: completeness against the references, and every code rendered by the emulator and
normalized back (sync and async)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ekyc import AsyncClient, Client
from ekyc.codes import CodeEntry, extract_table
from ekyc.errors import (
    AuthenticationError,
    EkycError,
    InvalidRequest,
    PermissionDenied,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    SessionNotFound,
)
from ekyc.models import Decision, Outcome, ReasonCode, SessionRef
from ekyc.providers.tencent import CODE_TABLE, TencentProvider, TencentSettings
from ekyc.sandbox import Sandbox

from .conftest import CONTRACT_REQUEST
from .helpers import complete_with, envelope_response

DOCUMENTED_RESULTS = [0, 1, 2, 3, 4, 8, 9, 10, 11, 14, 15, 16, 17, 202, *range(1001, 1006), *range(1101, 1110),
                      *range(1201, 1211), 1301, 1302, 1303, 1401, 1409, 1410, 2001, 2004, *range(2009, 2018), -999]
#: rows of the current H5 page (Billed column N) plus the 2026 announcement
BILLED_N = [1, 2, 3, 4, 8, 9, 10, 11, 14, 15, 16, 202, 1001, 1002, 1003, 1004, 1005, *range(1101, 1110), 1201,
            1202, 1409, 1410, 2012]
DOC_PAGE = Path(__file__).parents[3] / "docs" / "providers" / "tencent.md"


def test_every_documented_result_code_is_in_the_table() -> None:
    codes = {int(e.code) for e in CODE_TABLE.of_kind("result")}
    assert codes == set(DOCUMENTED_RESULTS)


def test_warnings_tags_and_api_errors_are_complete() -> None:
    assert {e.code for e in CODE_TABLE.of_kind("warn_card")} == {
        "-9101", "-9102", "-9103", "-9104", "-9107", "-9108", "-9109"}
    assert {e.code for e in CODE_TABLE.of_kind("liveness_tag")} == {f"{i:02d}" for i in range(1, 15)}
    api = {e.code for e in CODE_TABLE.of_kind("api_error")}
    for code in ("AuthFailure.SignatureFailure", "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureExpire",
                 "AuthFailure.InvalidAuthorization", "UnauthorizedOperation.Nonactivated", "OperationDenied",
                 "RequestLimitExceeded", "InternalError", "InvalidParameter", "InvalidParameterValue.BizTokenIllegal",
                 "InvalidParameterValue.BizTokenExpired", "InvalidParameterValue.RuleIdNotExist",
                 "FailedOperation.ImageSizeTooLarge", "UnauthorizedOperation.Arrears"):
        assert code in api


def test_every_code_in_the_installed_sdk_errorcodes_is_typed() -> None:
    """Every faceid API error code the installed official SDK defines is in the table with a source and an
    error class (or, for BizTokenExpired, a decision): none falls through to the prefix rules or the HTTP status."""
    errorcodes = pytest.importorskip("tencentcloud.faceid.v20180301.errorcodes")
    codes = {v for k, v in vars(errorcodes).items() if k.isupper() and isinstance(v, str)}
    assert len(codes) > 100  # the SDK module, not an empty stand-in
    for code in codes:
        entry = CODE_TABLE.get("api_error", code)
        assert entry is not None, code
        assert entry.source, code
        assert entry.error is not None or entry.outcome is not None, code
    sdk_only = {e.code for e in CODE_TABLE.of_kind("api_error") if "errorcodes.py" in e.source}
    assert sdk_only <= codes  # a code credited to the SDK file is in it


def test_result_codes_after_1202_say_where_they_come_from() -> None:
    for entry in CODE_TABLE.of_kind("result"):
        code = int(entry.code)
        if code > 1202 or code < 0:
            assert entry.note.startswith("after the current page's cut at 1202: "), code
            assert any(f"({sure})" in entry.note for sure in ("confirmed", "likely", "unconfirmed",
                                                               "unconfirmed for H5")), code


def test_billed_flags() -> None:
    assert CODE_TABLE.get("result", 0).billed is True  # type: ignore[union-attr]
    for code in BILLED_N:
        assert CODE_TABLE.get("result", code).billed is False, code  # type: ignore[union-attr]
    for entry in CODE_TABLE.of_kind("result"):
        if int(entry.code) not in BILLED_N and entry.code != "0":
            assert entry.billed is None, entry.code


def test_only_zero_approves_and_every_entry_has_a_source() -> None:
    for entry in CODE_TABLE:
        assert entry.source
        if entry.outcome is Outcome.APPROVED:
            assert (entry.kind, entry.code) == ("result", "0")


@pytest.mark.parametrize(("code", "cls"), [
    ("AuthFailure.Something", AuthenticationError), ("UnauthorizedOperation.New", PermissionDenied),
    ("RequestLimitExceeded.Other", RateLimited), ("InternalError.New", ProviderUnavailable),
    ("InvalidParameterValue.New", InvalidRequest), ("InvalidParameterValue.BizTokenIllegal", SessionNotFound),
    ("Totally.Unknown", ProviderError), ("AuthFailureX", ProviderError),
])
def test_api_error_classes(code: str, cls: type[EkycError]) -> None:
    """Unlisted codes are typed by the table's prefix rules, through the shared reader."""
    p = TencentProvider(TencentSettings(secret_id="AKIDtest", secret_key="k"), clock=lambda: 1_700_000_000.0)
    prepared = p.build_result(SessionRef(provider="tencent", id="81EEF678-28EE-4759-A82E-6CBBBE6BC442"))
    with pytest.raises(EkycError) as info:
        p.parse_result(prepared, envelope_response({"Response": {"Error": {"Code": code}, "RequestId": "r"}}))
    assert type(info.value) is cls and info.value.provider_code == code


def test_docs_page_table_matches_the_code_table() -> None:
    assert extract_table(DOC_PAGE.read_text(encoding="utf-8")) == CODE_TABLE.to_markdown()


# -- every code through the emulator --------------------------------------------------------------------

#: every code the emulator can render (the sub_check rules are exercised one by one in test_evidence.py)
ENTRIES = [e for e in CODE_TABLE if e.kind != "sub_check"]


def _id(e: CodeEntry) -> str:
    return f"{e.kind}:{e.code}"


def _check(entry: CodeEntry, result: Decision | EkycError) -> None:
    if entry.kind == "api_error":
        if entry.error is not None:
            assert isinstance(result, entry.error), result
            assert result.provider_code == entry.code
            assert result.request_id
            return
        assert isinstance(result, Decision)
        assert result.outcome is entry.outcome
        assert result.reason_codes == (entry.reason,)
        return
    assert isinstance(result, Decision), result
    if entry.kind == "result":
        assert result.outcome is entry.outcome
        assert result.reason_codes == ((entry.reason,) if entry.reason else ())
        assert result.provider_status == entry.code
        assert result.billable is entry.billed
        if entry.reason:
            assert result.reasons[0].message == entry.message
            assert result.reasons[0].retryable is entry.retryable
        return
    # warnings and liveness tags arrive next to ErrorCode 0, Tencent's documented success: a declining one
    # makes it REVIEW (the default Config: every warning interrupts the flow), never DECLINED
    assert result.provider_status == "0"
    if entry.outcome is Outcome.DECLINED:
        assert result.outcome is Outcome.REVIEW
        assert result.reason_codes == (entry.reason,)
        assert result.reasons[0].provider_code == entry.code
        if entry.kind == "warn_card":
            assert result.checks.document.passed is False
    else:
        assert result.outcome is Outcome.APPROVED
        assert [w.provider_code for w in result.warnings] == [entry.code]


def _sync(client: Client, sandbox: Sandbox, entry: CodeEntry) -> Decision | EkycError:
    session = client.create_session(CONTRACT_REQUEST, provider="tencent")
    back = complete_with(sandbox, session, code=entry.code, kind=entry.kind)
    try:
        return client.get_result(client.parse_return_url(back, provider="tencent"))
    except EkycError as exc:
        return exc


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
def test_code_renders_and_normalizes_sync(client: Client, sandbox: Sandbox, entry: CodeEntry) -> None:
    _check(entry, _sync(client, sandbox, entry))


@pytest.mark.parametrize("entry", ENTRIES, ids=_id)
async def test_code_renders_and_normalizes_async(aclient: AsyncClient, sandbox: Sandbox,
                                                 entry: CodeEntry) -> None:
    session = await aclient.create_session(CONTRACT_REQUEST, provider="tencent")
    back = complete_with(sandbox, session, code=entry.code, kind=entry.kind)
    try:
        result: Decision | EkycError = await aclient.get_result(aclient.parse_return_url(back))
    except EkycError as exc:
        result = exc
    _check(entry, result)


@pytest.mark.parametrize(("kind", "code"), [("result", "4242"), ("result", "-1"), ("warn_card", "-9999"),
                                            ("liveness_tag", "99")])
def test_unknown_codes_never_approve(client: Client, sandbox: Sandbox, kind: str, code: str) -> None:
    result = _sync(client, sandbox, CodeEntry(kind, code, "", "test"))
    assert isinstance(result, Decision)
    # an unknown result code is a failure (Tencent: every non-zero code is one); an unknown warning or tag
    # next to ErrorCode 0 leaves the documented success in doubt: REVIEW
    assert result.outcome is (Outcome.DECLINED if kind == "result" else Outcome.REVIEW)
    assert result.reason_codes == (ReasonCode.UNKNOWN,)
    assert result.reasons[0].provider_code == code


def test_unknown_api_error_is_typed(client: Client, sandbox: Sandbox) -> None:
    result = _sync(client, sandbox, CodeEntry("api_error", "FailedOperation.Brand.New", "", "test"))
    assert isinstance(result, ProviderError) and result.provider_code == "FailedOperation.Brand.New"
