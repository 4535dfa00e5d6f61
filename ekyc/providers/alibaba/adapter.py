"""The sans-I/O adapter for Alibaba Cloud ID Verification, international (``Cloudauth-intl`` 2022-08-09).

Flow: ``Initialize`` (RPC, ``POST /``, signed with ACS3-HMAC-SHA256) → the user opens the single-use
``TransactionUrl`` → back on ``ReturnUrl`` and/or a ``GET CallbackUrl?…&callbackToken=…`` →
``CheckResult(MerchantBizId, TransactionId)``.

Every parameter travels in an ``application/x-www-form-urlencoded`` body (covered by the signature through
``x-acs-content-sha256``); the request URL is just ``https://<endpoint>/``. The official SDK puts most
parameters in the query string, but the gateway reads an RPC call's parameters from the query and the form
body alike (Alibaba's own generic RPC client ``@alicloud/pop-core`` sends a POST's every parameter in the form
body; the SDK's V2 signature covers query and body as one parameter set; the SDK itself sends
``FacePictureBase64`` in the body). Kept out of the URL, ``MerchantUserId``, ``MetaInfo``, ``CallbackToken``
and the return/callback URLs never reach a log line that prints request URLs (httpx logs them at INFO) nor an
exception that carries the request.

Design decisions (see ``docs/providers/alibaba.md``):

- ``MerchantBizId`` (32 hex digits, within Alibaba's "letters and digits, at most 32") binds the app's
  reference: a random 16-hex-digit nonce followed by the first 16 hex digits of HMAC-SHA256(key,
  ``"merchant-biz-id:" + nonce + ":" + reference``) (same key as ``CallbackToken``). It travels in the
  :class:`~ekyc.models.SessionRef`: ``SessionRef(provider="alibaba", id=TransactionId, extra=(MerchantBizId,))``.
  ``CheckResult`` echoes nothing of the reference, so :meth:`AlibabaProvider.build_result` and
  :meth:`~AlibabaProvider.parse_result` recompute the tag for the ref's bound reference (constant time) and raise
  :class:`~ekyc.errors.SessionMismatch` (``field="reference"``) when it does not match — a stored ref edited to
  another user's reference never reaches a decision. A verified reference is ``Decision.reference``; a ref with
  no bound reference (parsed from a return URL or callback alone) still reads the result, with
  ``Decision.reference`` None.
- The ``ReturnUrl`` and ``CallbackUrl`` sent to Alibaba carry ``ekyc_biz=<MerchantBizId>``. Which parameters
  Alibaba appends to ``ReturnUrl`` is not documented; :meth:`AlibabaProvider.parse_return_url` needs a
  ``transactionId`` parameter next to ``ekyc_biz`` (the sandbox emulator appends one) and otherwise tells the
  app to use the ref it stored at create.
- ``CallbackToken`` = the first 32 hex digits of HMAC-SHA256(key, ``"callback:" + MerchantBizId``), key =
  ``callback_secret`` or, when unset, a key derived from ``access_key_secret``: verifiable later without
  storing anything.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pydantic import SecretStr, field_validator, model_validator

from ekyc import _wire as wire
from ekyc.errors import (
    EkycError,
    InvalidRequest,
    ProviderError,
    RateLimited,
    SessionMismatch,
    WebhookVerificationError,
)
from ekyc.models import (
    ALL_CHECKS,
    Check,
    Decision,
    DocumentType,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
)
from ekyc.provider import (
    CREATE_SESSION,
    GET_RESULT,
    BrowserMetadata,
    Capabilities,
    Envelope,
    LinkReuse,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
    header,
    malformed,
)

from .codes import CODE_TABLE, SUCCESS_CODE
from .parse import decide
from .products import REGIONS
from .signing import binds, callback_key, callback_token, form_body, merchant_biz_id, sign_headers, verify
from .solution import Solution, choose, language_config, result_options, split_options

NAME = "alibaba"
API_VERSION = "2022-08-09"
#: Alibaba's web script that defines window.getMetaInfo() (reference §1.5)
META_INFO_SCRIPT = "https://hkwebcdn.yuncloudauth.com/cdn/jsvm_all.js"
#: the MetaInfo the sandbox's browser script gives (a web MetaInfo in the documented shape: ``bioMetaInfo``,
#: ``deviceType`` web, ``ua``; reference §1.2), sent with ``sandbox_meta_info`` when a request carries none
SANDBOX_META_INFO = '{"apdidToken":"","bioMetaInfo":"4.1.0:2916352,0","deviceType":"web","ua":"ekyc-sandbox"}'
USER_AGENT = "ekyc-bridge (alibaba; Cloudauth-intl 2022-08-09)"
#: the query parameter this library adds to ReturnUrl and CallbackUrl
BIZ_PARAM = "ekyc_biz"
TRANSACTION_PARAMS = ("transactionId", "TransactionId", "transaction_id")
_BIZ = re.compile(r"[A-Za-z0-9]{1,32}")
_TXN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_OPTION = re.compile(r"[A-Z][A-Za-z0-9]{0,63}")
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.]{1,80}")
_REQUEST_ID = re.compile(r"[A-Za-z0-9*-]{1,80}")
#: the most an Initialize option value may carry (StyleConfig JSON is the largest documented one)
MAX_OPTION = 64 * 1024
#: the most a return URL or a callback request (URL or query string) may carry
MAX_CALLBACK = 8 * 1024
#: the most (MerchantBizId, reference) pairs an adapter remembers as verified (then it starts afresh)
MAX_VERIFIED = 4096
#: Initialize parameters this library sets itself (not overridable through provider_options)
RESERVED = frozenset({"MerchantBizId", "MerchantUserId", "MetaInfo", "ReturnUrl", "CallbackToken",
                      "FacePictureBase64"})
_LF = frozenset({Check.LIVENESS, Check.FACE_MATCH})


class AlibabaSettings(ProviderSettings):
    """Settings for Alibaba Cloud ID Verification (international).

    ``access_key_id`` / ``access_key_secret`` also come from ``ALIBABA_CLOUD_ACCESS_KEY_ID`` /
    ``ALIBABA_CLOUD_ACCESS_KEY_SECRET``. ``endpoint`` overrides ``cloudauth-intl.<region>.aliyuncs.com``.
    """

    env_aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "access_key_id": ("ALIBABA_CLOUD_ACCESS_KEY_ID",),
        "access_key_secret": ("ALIBABA_CLOUD_ACCESS_KEY_SECRET",),
        "security_token": ("ALIBABA_CLOUD_SECURITY_TOKEN",),
    }

    access_key_id: SecretStr
    access_key_secret: SecretStr
    region: str = "ap-southeast-1"
    #: https URL Alibaba calls (GET) when a verification finishes; optional
    callback_url: str | None = None
    #: key of the CallbackToken HMAC; derived from access_key_secret when unset
    callback_secret: SecretStr | None = None
    #: STS security token (temporary credentials)
    security_token: SecretStr | None = None
    #: the script the launch page loads to collect MetaInfo in the browser (ekyc.launch)
    meta_info_script: str = META_INFO_SCRIPT
    #: send the sandbox's MetaInfo (:data:`SANDBOX_META_INFO`) when a request carries none — for the sandbox and
    #: tests only (needs ``endpoint``); real users' browsers produce theirs on the launch page (ekyc.launch)
    sandbox_meta_info: bool = False

    @field_validator("meta_info_script")
    @classmethod
    def _script(cls, v: str) -> str:
        parts = urlsplit(v)
        if parts.scheme not in ("https", "http") or not parts.netloc or not v.isprintable() or '"' in v \
                or "<" in v:
            raise ValueError("must be an absolute http(s) URL")
        return v

    @model_validator(mode="after")
    def _sandbox_only(self) -> AlibabaSettings:
        if self.sandbox_meta_info and self.endpoint is None:
            raise ValueError("sandbox_meta_info is for the sandbox (an endpoint override); real users' MetaInfo "
                             "comes from their browser (ekyc.launch)")
        return self

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in REGIONS:
            raise ValueError(f"must be one of the documented regions: {', '.join(REGIONS)}")
        return v

    @field_validator("callback_url")
    @classmethod
    def _callback(cls, v: str | None) -> str | None:
        if v is not None:
            _https(v)
        return v


def _https(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("must be an absolute https URL (Alibaba requires https callbacks)")


def with_param(url: str, name: str, value: str) -> str:
    """``url`` with query parameter ``name`` set to ``value`` (replacing any previous value)."""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    pairs.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), parts.fragment))


class AlibabaProvider(Provider):
    """Alibaba Cloud ID Verification (international): ``Initialize`` / ``CheckResult``."""

    name = NAME
    display_name = "Alibaba Cloud ID Verification"
    settings_model = AlibabaSettings
    code_table = CODE_TABLE
    documented_success = frozenset({("passed", "Y"), ("subcode", "200")})
    emulator = "ekyc.providers.alibaba.emulator:AlibabaEmulator"
    capabilities = Capabilities(
        link=LinkReuse.SINGLE_USE,
        link_source=(
            "reference/alibaba.md: TransactionUrl works once, a TransactionId is single-use; no call "
            "re-issues it"),
        check_sets=frozenset({ALL_CHECKS, _LF, frozenset({Check.LIVENESS}), frozenset({Check.DOCUMENT})}),
        document_types=frozenset({DocumentType.PASSPORT, DocumentType.ID_CARD, DocumentType.DRIVERS_LICENSE,
                                  DocumentType.RESIDENCE_PERMIT}),
        reference_image=True,
        expected_identity=False,
        contact_email=False,
        return_url_required=False,
        client_metadata_required=True,
        create_retry=RetryMode.NOT_SENT,
        webhooks="callback GET with callbackToken (token only; the passed hint is never trusted)",
        notes="plans by region (products.py): eKYC_PRO via InitializeV2 (document+liveness+face_match, every "
              "region; default DocType GLB03002 global e-passport), FACE_LIVENESS_PRO (liveness; HK, SG, Jakarta), "
              "FACE_VERIFY (liveness+face_match with reference_image; HK only), ID_OCR (document; HK only); "
              "TransactionUrl is single-use; MetaInfo comes from the user's browser (ekyc.launch)",
        defaults="the product plan of the configured region; DocType GLB03002 (global e-passport) when no "
                 "document type is given (01000000 on the 8-digit plans); MetaInfo from the launch page "
                 "(ekyc.launch; the sandbox supplies one); language as LanguageConfig {\"defaultLanguage\"}",
        unsupported="document-only and reference-image face checks outside cn-hongkong; liveness-only in "
                    "ap-southeast-3; expected identity; contact e-mail; languages outside the web flow's 14; "
                    "several document types in one session",
    )
    settings: AlibabaSettings

    # -- validation ------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Everything :meth:`build_create` needs, checked before any I/O."""
        super().check_request(request)
        meta_info = self._meta_info(request)
        if not meta_info:
            raise self.unsupported(
                "client_metadata is required: it is Alibaba's MetaInfo, the JSON string the user's browser "
                "returns from window.getMetaInfo() (jsvm_all.js). Serve ekyc.launch.launch_page() as your "
                "Verify button (the same page for every provider) and pass launch.client_metadata(form) on",
                "client_metadata",
            )
        try:
            meta = wire.loads(meta_info, max_size=MAX_OPTION)
        except wire.WireError:
            meta = None
        if not isinstance(meta, dict):
            raise InvalidRequest(
                "client_metadata must be the JSON object string from window.getMetaInfo() (jsvm_all.js)",
                provider=NAME, field="client_metadata",
            )
        split_options(self._options(request), self.unsupported)
        self._solution(request)
        if request.language is not None:
            language_config(request.language, self.unsupported)

    def _meta_info(self, request: SessionRequest) -> str | None:
        """The browser's MetaInfo (``client_metadata``), else the sandbox's (settings ``sandbox_meta_info``)."""
        sandbox = SANDBOX_META_INFO if self.settings.sandbox_meta_info else None
        return request.client_metadata or sandbox

    def browser_metadata(self) -> BrowserMetadata:
        """What the launch page collects for Alibaba: ``window.getMetaInfo()`` of the ``meta_info_script``."""
        return BrowserMetadata(script=self.settings.meta_info_script, getter="getMetaInfo")

    def _options(self, request: SessionRequest) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, value in request.options_for(NAME).items():
            fld = f"provider_options.{NAME}.{key}"
            if not isinstance(key, str) or not _OPTION.fullmatch(key):
                raise InvalidRequest("provider option names are Initialize parameter names (e.g. SceneCode)",
                                     provider=NAME, field=f"provider_options.{NAME}")
            if key in RESERVED:
                raise self.unsupported(f"{key} is set by this library and cannot be overridden", fld)
            if isinstance(value, bool) or value is None:
                raise InvalidRequest("use the documented string value (e.g. 'Y' or 'N')", provider=NAME,
                                     field=fld)
            if isinstance(value, (list, tuple, dict)):
                try:
                    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
                except (TypeError, ValueError, RecursionError):
                    raise InvalidRequest("lists and mappings must hold only JSON values (strings, finite "
                                         "numbers, lists, mappings)", provider=NAME, field=fld) from None
            elif isinstance(value, float) and not math.isfinite(value):
                raise InvalidRequest("must be a finite number", provider=NAME, field=fld)
            elif isinstance(value, (str, int, float)):
                text = str(value)
            else:
                raise InvalidRequest("must be a string, number, list or mapping", provider=NAME, field=fld)
            if len(text) > MAX_OPTION:
                raise InvalidRequest(f"longer than {MAX_OPTION} characters", provider=NAME, field=fld)
            if key == "CallbackUrl":
                try:
                    _https(text)
                except ValueError as exc:
                    raise InvalidRequest(str(exc), provider=NAME, field=fld) from None
            out[key] = text
        if request.reference_image is not None and "FacePictureUrl" in out:
            raise self.unsupported("give either reference_image or FacePictureUrl, not both (DataDuplication)",
                                   f"provider_options.{NAME}.FacePictureUrl")
        return out

    def _solution(self, request: SessionRequest) -> Solution:
        """The plan and ``DocType`` for the request in the configured region (:mod:`.solution`)."""
        opts = self._options(request)
        checks = frozenset(request.checks)
        image = request.reference_image is not None or "FacePictureUrl" in opts
        if checks == _LF and not image:
            raise self.unsupported(
                "face_match without the document check needs a reference_image to compare with "
                "(FACE_VERIFY)", "reference_image")
        found = choose(request, self.settings.region, opts, self.unsupported)
        if request.reference_image is not None and not found.plan.needs_face_picture:
            raise self.unsupported(f"a reference_image is used only by liveness+face_match (FACE_VERIFY); "
                                   f"{found.plan.code} compares the selfie with the document", "reference_image")
        return found

    # -- requests --------------------------------------------------------------------------------
    def _base(self) -> str:
        return self.base_url(f"https://cloudauth-intl.{self.settings.region}.aliyuncs.com")

    def _endpoint(self) -> tuple[httpx.URL, str, str]:
        """``(url, path, host)`` of ``POST /``, built and parsed once per settings object (the settings are frozen;
        a new settings object is a new endpoint)."""
        cached = self.__dict__.get("_endpoint_cache")
        if cached is not None and cached[0] is self.settings:
            return cached[1]  # type: ignore[no-any-return]
        base = httpx.URL(self._base() + "/")
        url = base.copy_with(query=None, fragment=None)
        endpoint = (url, base.path or "/", base.netloc.decode("ascii"))
        self.__dict__["_endpoint_cache"] = (self.settings, endpoint)
        return endpoint

    def _prepare(self, action: str, params: Mapping[str, str], retry: RetryMode, context: Mapping[str, Any], *,
                 operation: str | None = None, ref: SessionRef | None = None) -> Prepared:
        """A signed ``POST /`` with every parameter in the form body (none in the URL; module docstring);
        ``operation`` defaults to the action's name."""
        url, path, host = self._endpoint()
        body = form_body(params)
        token = self.settings.security_token
        headers = sign_headers(
            method="POST", path=path, query={},
            headers={"host": host, "accept": "application/json", "user-agent": USER_AGENT},
            body=body, access_key_id=self.settings.secret("access_key_id"),
            access_key_secret=self.settings.secret("access_key_secret"), action=action, version=API_VERSION,
            now=self.clock(), security_token=token.get_secret_value() if token is not None else None,
        )
        return Prepared(post_request(url, headers, body), operation or action, retry, context, ref)

    def _callback_key(self) -> bytes:
        """The callback/reference-binding key, derived once per settings object (an HMAC when it comes from the
        AccessKey secret)."""
        cached = self.__dict__.get("_callback_key_cache")
        if cached is not None and cached[0] is self.settings:
            return cached[1]  # type: ignore[no-any-return]
        secret = self.settings.callback_secret
        key = callback_key(secret.get_secret_value() if secret is not None else None,
                           self.settings.secret("access_key_secret"))
        self.__dict__["_callback_key_cache"] = (self.settings, key)
        return key

    def build_create(self, request: SessionRequest) -> Prepared:
        """``Initialize``: a fresh ``MerchantBizId`` bound to ``request.reference`` (and a signature nonce) on
        every call."""
        opts, check_options = split_options(self._options(request), self.unsupported)
        solution = self._solution(request)
        opts.pop("ProductCode", None)
        opts.pop("DocType", None)
        biz = merchant_biz_id(self._callback_key(), request.reference)
        params: dict[str, str] = {
            "ProductCode": solution.plan.code,
            "MerchantBizId": biz,
            "MerchantUserId": request.reference,
            "MetaInfo": self._meta_info(request) or "",
        }
        if solution.doc_type is not None:
            params["DocType"] = solution.doc_type
        if request.return_url is not None:
            params["ReturnUrl"] = with_param(request.return_url, BIZ_PARAM, biz)
        callback = opts.pop("CallbackUrl", None) or self.settings.callback_url
        if callback is not None:
            params["CallbackUrl"] = with_param(callback, BIZ_PARAM, biz)
            params["CallbackToken"] = callback_token(self._callback_key(), biz)
        if request.language is not None:
            params["LanguageConfig"] = language_config(request.language, self.unsupported)
        params.update(opts)
        if request.reference_image is not None:
            params["FacePictureBase64"] = request.reference_image
        context = {"merchant_biz_id": biz, "check_options": check_options}
        return self._prepare(solution.plan.action, params, RetryMode.NOT_SENT, context, operation=CREATE_SESSION)

    def build_result(self, ref: SessionRef) -> Prepared:
        """``CheckResult(MerchantBizId, TransactionId)`` — both come from the ref — plus the CheckResult options
        (``IsReturnImage``, ``ExtraImageControlList``, ``ReturnFiveCategorySpoofResult``) given at create through
        ``provider_options`` and kept in the ref (its second extra part)."""
        if ref.provider != NAME or len(ref.extra) not in (1, 2) or not _BIZ.fullmatch(ref.extra[0]) \
                or not _TXN.fullmatch(ref.id):
            raise InvalidRequest("an Alibaba session ref carries the TransactionId and the MerchantBizId; use "
                                 "session.ref.serialize() as stored at create", provider=NAME, field="ref")
        self._verify_reference(ref)
        params = {"MerchantBizId": ref.extra[0], "TransactionId": ref.id}
        if len(ref.extra) == 2:
            params.update(result_options(ref.extra[1]))
        return self._prepare("CheckResult", params, RetryMode.READ, {}, operation=GET_RESULT, ref=ref)

    def _verify_reference(self, ref: SessionRef) -> None:
        """The ref's bound reference must be the one its ``MerchantBizId`` was derived from (module docstring).

        A pair that verified is remembered under its key (the HMAC is deterministic), so a result's build and
        parse verify it once; a changed key starts afresh, and at most :data:`MAX_VERIFIED` pairs are kept."""
        if ref.reference is None:
            return
        key = self._callback_key()
        cached: tuple[bytes, set[tuple[str, str]]] | None = self.__dict__.get("_verified_cache")
        if cached is None or cached[0] is not key or len(cached[1]) >= MAX_VERIFIED:
            cached = (key, set())
            self.__dict__["_verified_cache"] = cached
        pair = (ref.extra[0], ref.reference)
        if pair in cached[1]:
            return
        if binds(key, *pair):
            cached[1].add(pair)
        else:
            raise SessionMismatch("the reference bound into this Alibaba ref is not the one the session was "
                                  "created for (the stored ref was edited, or the callback key changed)",
                                  provider=NAME, field="reference")

    # -- responses -------------------------------------------------------------------------------
    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """Every answer is ``{"Code", "RequestId", …}``: ``Code`` = ``Success`` is a result, anything else an
        error. The ``Message`` is free text that may echo request values: never shown (the code table's
        meaning is). A positive ``x-acs-retry-after`` (milliseconds) is throttling, whatever the code (the
        SDK's ``ThrottlingException`` rule). An HTTP 200 whose ``Code`` the table does not know is a
        :class:`ProviderError` (not an answer this library understands), whatever its prefix says."""
        if not isinstance(data, dict):
            if response.status_code in self.result_statuses:
                raise wire.WireError("body", "is not a JSON object")
            return Envelope(body=data)
        code = data.get("Code")
        if code == SUCCESS_CODE and response.status_code in self.result_statuses:
            return Envelope(body=data)  # a result: its RequestId names nothing (an error's does, as below)
        rid = data.get("RequestId")
        rid = rid if isinstance(rid, str) and _REQUEST_ID.fullmatch(rid) else None
        if code == SUCCESS_CODE:  # a success body under a status no result comes with: the reader's error names it
            return Envelope(body=data, request_id=rid)
        code = code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
        retry_ms = header(response.headers, "x-acs-retry-after")
        retry_after: float | None = None
        if retry_ms:
            try:  # milliseconds, a positive integer
                retry_after = wire.ascii_digits(retry_ms.strip(), "x-acs-retry-after", max_len=9) / 1000.0
            except wire.WireError:
                retry_after = None
        error: type[EkycError] | None = None
        if retry_after is not None and retry_after > 0:
            error = RateLimited
        elif response.status_code in self.result_statuses and CODE_TABLE.api_error(code) is None:
            error = ProviderError
        return Envelope(body=data, code=code, request_id=rid, retry_after=retry_after, error=error)

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        """The session: ``Session.url`` ← ``TransactionUrl`` (single use)."""
        data = self.read(prepared, response).body
        with malformed(NAME, "Initialize response", http_status=response.status_code):
            result = wire.obj(data.get("Result"), "Result")
            tid = wire.code(result.get("TransactionId"), "Result.TransactionId")
            url = wire.code(result.get("TransactionUrl"), "Result.TransactionUrl", max_len=4096)
            if tid is None or not _TXN.fullmatch(tid):
                raise wire.WireError("Result.TransactionId", "not a transaction id")
            if url is None or not _absolute_http(url):
                raise ProviderError("Initialize returned no TransactionUrl (web/H5 flows need a browser "
                                    "MetaInfo with deviceType web or h5)", provider=NAME,
                                    http_status=response.status_code)
            options = prepared.context.get("check_options")
            extra = (prepared.context["merchant_biz_id"], *((options,) if options else ()))
            ref = SessionRef(provider=NAME, id=tid, extra=extra)
            return Session(ref=ref, url=url, single_use=True, raw=data)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        """The decision: HTTP 404 ``ProcessNotCompleted`` is ``PENDING``; see :mod:`.parse` for the rule.

        ``Decision.reference`` is the ref's bound reference once its ``MerchantBizId`` tag verifies, else
        :class:`~ekyc.errors.SessionMismatch`; None for a ref without one.
        """
        ref = prepared.require_ref()
        self._verify_reference(ref)
        # the bound reference is verified above: it is the reference this session was created for
        return self.read_result(prepared, response, lambda env: decide(ref, env.body, reference=ref.reference))

    # -- return URL and callback -----------------------------------------------------------------
    def parse_return_url(self, url: str) -> SessionRef:
        """The ref from a return URL holding ``ekyc_biz`` (added at create) and a ``transactionId``.

        Alibaba does not document what it appends to ``ReturnUrl``; without a ``transactionId`` this raises
        and the app must use the ref it stored at create. Status hints are ignored. Raises only
        :class:`~ekyc.errors.WebhookVerificationError` (``field="url"``), whatever the input.
        """
        params = _query_params(url, "return URL", "url")
        biz = _param(params, BIZ_PARAM, field="url")
        if biz is None or not _BIZ.fullmatch(biz):
            raise WebhookVerificationError(f"not an Alibaba return URL (no valid {BIZ_PARAM} parameter)",
                                           provider=NAME, field="url")
        tid = _param(params, *TRANSACTION_PARAMS, field="url")
        if not tid:
            raise WebhookVerificationError(
                "the return URL carries no transactionId (Alibaba does not document the parameters it appends "
                "to ReturnUrl); use the SessionRef stored at create (session.ref.serialize())",
                provider=NAME, field="url")
        if not _TXN.fullmatch(tid):
            raise WebhookVerificationError("the return URL's transactionId is malformed", provider=NAME,
                                           field="url")
        return SessionRef(provider=NAME, id=tid, extra=(biz,))

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify Alibaba's callback ``GET CallbackUrl?ekyc_biz&transactionId&passed&subCode&callbackToken``.

        ``body`` is the callback request's query string or its full URL, as bytes (the GET has no body; at most
        :data:`MAX_CALLBACK` bytes); ``headers`` are not used. The token is compared in constant time; it
        authenticates the ``MerchantBizId`` only (the callback carries no timestamp and no signature):
        ``passed``/``subCode`` are only a hint (``provider_status``) and the ``transactionId`` is not covered —
        look the session up by ``event.ref.extra[0]`` in your storage and call ``get_result`` with the stored
        ref. ``event_id`` (``<transactionId>:passed=…,subCode=…``) de-duplicates repeated deliveries. Raises only
        :class:`~ekyc.errors.WebhookVerificationError`.
        """
        if isinstance(body, str):
            body = body.encode("utf-8", "surrogatepass")
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise WebhookVerificationError("the callback must be given as bytes (its URL or query string)",
                                           provider=NAME, field="body")
        raw = bytes(body)
        if len(raw) > MAX_CALLBACK:
            raise WebhookVerificationError("the callback is too large", provider=NAME, field="body")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise WebhookVerificationError("the callback is not UTF-8", provider=NAME, field="body") from None
        params = _query_params(text if "?" in text else "?" + text, "callback", "body")
        token = _param(params, "callbackToken", field="body")
        biz = _param(params, BIZ_PARAM, field="body")
        tid = _param(params, "transactionId", field="body")
        if not token or not biz or not tid:
            raise WebhookVerificationError(
                f"the callback lacks callbackToken, {BIZ_PARAM} or transactionId", provider=NAME, field="body")
        if not _BIZ.fullmatch(biz) or not _TXN.fullmatch(tid):
            raise WebhookVerificationError("the callback's identifiers are malformed", provider=NAME, field="body")
        verify(token, biz, self._callback_key())
        passed = _param(params, "passed", field="body")
        sub = _param(params, "subCode", field="body")
        hint = f"passed={passed or ''},subCode={sub or ''}"
        if not re.fullmatch(r"[A-Za-z0-9=,_.-]{1,64}", hint):
            hint = "passed=?"
        ref = SessionRef(provider=NAME, id=tid, extra=(biz,))
        return WebhookEvent(provider=NAME, ref=ref, event_id=f"{tid}:{hint}", event_type="verification.finished",
                            provider_status=hint, verified_by="callbackToken", authenticated="token",
                            decision=None, raw={"transactionId": tid, "hint": hint})


def post_request(url: httpx.URL, headers: Mapping[str, str], body: bytes) -> httpx.Request:
    """The request ``httpx.Request("POST", url, headers=headers, content=body)`` builds — the same headers in the
    same order, ``Content-Length`` added as httpx adds it, the body read — with the header list normalized once
    (given ``content``, httpx normalizes it, then rebuilds it to add its automatic headers). ``headers`` must
    carry ``host``, as every signed request here does (httpx would otherwise add its own first)."""
    length = ("Content-Length", str(len(body)))
    items = [*headers.items(), length] if body else [length, *headers.items()]  # httpx: an empty POST's first
    request = httpx.Request("POST", url, headers=items, stream=httpx.ByteStream(body))
    request.read()
    return request


def _absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and bool(parts.netloc) and url.isprintable()


def _query_params(url: Any, what: str, field: str) -> dict[str, list[str]]:
    """The query parameters of a URL (bounded, strictly decoded); :class:`WebhookVerificationError` otherwise."""
    if not isinstance(url, str) or len(url) > MAX_CALLBACK:
        raise WebhookVerificationError(f"not an Alibaba {what} (expected a URL of at most {MAX_CALLBACK} "
                                       "characters)", provider=NAME, field=field)
    try:
        query = urlsplit(url).query
        return parse_qs(query, keep_blank_values=True, errors="strict", max_num_fields=64)
    except ValueError:  # bad IPv6 host, too many fields, percent-escapes that are not UTF-8
        raise WebhookVerificationError(f"not an Alibaba {what} (malformed URL)", provider=NAME,
                                       field=field) from None


def _param(params: Mapping[str, list[str]], *names: str, field: str) -> str | None:
    """The one value of a parameter (any of ``names``, in any letter case); two values are refused."""
    wanted = {n.casefold() for n in names}
    values = [v for k, vs in params.items() if k.casefold() in wanted for v in vs]
    if not values:
        return None
    if len(values) != 1:
        raise WebhookVerificationError(f"parameter {names[0]} appears more than once", provider=NAME, field=field)
    return values[0]
