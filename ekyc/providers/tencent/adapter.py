"""The Tencent Cloud eKYC (H5, ``faceid`` 2018-03-01) adapter: sans-I/O, signed with TC3-HMAC-SHA256.

Flow: ``ApplyWebVerificationBizTokenIntl`` → the user opens ``VerificationURL`` → Tencent redirects to
``RedirectURL?token=<BizToken>`` → ``GetWebVerificationResultIntl(BizToken)``.

The ref is ``SessionRef(provider="tencent", id=BizToken, extra=(CheckMode, interrupting warnings),
reference=Extra)`` (see :mod:`.requested`). The BizToken is a bearer secret (it rebuilds the
``VerificationURL``): no message, log line or exception raised here contains it or the URL.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, urlsplit

import httpx
from pydantic import SecretStr, field_validator

from ekyc import _wire as wire
from ekyc.errors import InvalidRequest, ProviderError, WebhookVerificationError
from ekyc.models import (
    Check,
    Decision,
    DocumentType,
    Session,
    SessionRef,
    SessionRequest,
    WebhookEvent,
    http_url,
)
from ekyc.provider import (
    CREATE_SESSION,
    GET_RESULT,
    Capabilities,
    Clock,
    Envelope,
    LinkReuse,
    Prepared,
    Provider,
    ProviderSettings,
    RetryMode,
)

from . import signing
from .codes import CODE_TABLE
from .config import config_problem
from .parse import decide
from .requested import UNKNOWN, Requested, parse_selected_warning_codes

DEFAULT_HOST = "faceid.intl.tencentcloudapi.com"
#: regions documented for the Web (HTML5) actions (docs 1061/56227, 1061/56226)
H5_REGIONS = frozenset({"ap-bangkok", "ap-hongkong", "ap-jakarta", "ap-singapore", "sa-saopaulo"})
APPLY_ACTION = "ApplyWebVerificationBizTokenIntl"
RESULT_ACTION = "GetWebVerificationResultIntl"
#: the BizToken must be used within 10 minutes (docs 1061/56227)
TOKEN_TTL_SECONDS = 600
#: our choice: the longest return URL read
MAX_RETURN_URL = 8192
#: the longest VerificationURL accepted from Tencent
MAX_VERIFICATION_URL = 2048
MAX_EXTRA = 1000

_ALL = frozenset({Check.DOCUMENT, Check.LIVENESS, Check.FACE_MATCH})
_LIVE_FACE = frozenset({Check.LIVENESS, Check.FACE_MATCH})
_CHECK_MODES: dict[frozenset[Check], int] = {
    _ALL: 1,
    _LIVE_FACE: 2,
    frozenset({Check.LIVENESS}): 3,
    frozenset({Check.DOCUMENT}): 4,
}
_ID_CARDS = {
    "HKG": "HKIDCard", "MYS": "MLIDCard", "IDN": "IndonesiaIDCard", "THA": "ThailandIDCard",
    "SGP": "SingaporeIDCard", "CHN": "MainlandIDCard",
}
_DRIVING_LICENSES = {"PHL": "PhilippinesDrivingLicense"}
ID_CARD_TYPES = frozenset({
    "HKIDCard", "MLIDCard", "IndonesiaIDCard", "PhilippinesVoteID", "PhilippinesDrivingLicense",
    "PhilippinesTinID", "PhilippinesSSSID", "PhilippinesUMID", "InternationalIDPassport", "ThailandIDCard",
    "SingaporeIDCard", "MainlandIDCard",
})
_LANGUAGES = {
    "en": "en", "th": "th", "id": "id", "in": "id", "zh-cn": "zh-cn", "zh-hans": "zh-cn", "zh-sg": "zh-cn",
    "zh": "zh-cn", "zh-tw": "zh-tc", "zh-hk": "zh-tc", "zh-mo": "zh-tc", "zh-hant": "zh-tc", "zh-tc": "zh-tc",
}
#: ``provider_options["tencent"]`` keys that go into ``Config`` (type each must have)
CONFIG_OPTIONS: dict[str, type] = {
    "AutoSkipStartPage": bool, "AutoSkip": bool, "IDCardType": str, "DisableCheckOcrWarnings": bool,
    "SecurityLevel": int, "SkipPrivacyPolicy": bool, "IdCardCutReturn": bool, "ThemeColor": str,
    "Language": str, "AutoDowngrade": int, "ActionList": str, "LivenessRetryLimit": int,
    "LivenessTimeout": int, "SelectedWarningCodes": str, "AllowExpiredDocument": bool, "Version": str,
}
#: ``provider_options["tencent"]`` keys that go at the top level of the request
TOP_LEVEL_OPTIONS: dict[str, type] = {"RuleId": str}
#: a BizToken (an upper-case UUID in every example); matched whole (``fullmatch``: no trailing newline)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")


class TencentSettings(ProviderSettings):
    """Tencent Cloud credentials and options (``TENCENTCLOUD_SECRET_ID`` / ``TENCENTCLOUD_SECRET_KEY`` work)."""

    env_aliases: ClassVar[dict[str, tuple[str, ...]]] = {
        "secret_id": ("TENCENTCLOUD_SECRET_ID",),
        "secret_key": ("TENCENTCLOUD_SECRET_KEY",),
    }

    secret_id: SecretStr
    secret_key: SecretStr
    region: str = "ap-singapore"
    token: SecretStr | None = None
    webhook_signature_key: SecretStr | None = None
    language: Literal["en-US", "zh-CN"] = "en-US"

    @field_validator("secret_id", "secret_key")
    @classmethod
    def _no_spaces(cls, v: SecretStr) -> SecretStr:
        raw = v.get_secret_value()
        if not raw or raw != raw.strip():
            raise ValueError("must be non-empty, without leading or trailing spaces")
        return v

    @field_validator("secret_id", "token")
    @classmethod
    def _header_safe(cls, v: SecretStr | None) -> SecretStr | None:
        """Sent in headers (``Authorization``, ``X-TC-Token``): printable ASCII only, or httpx would fail to
        encode the header with the credential inside its exception."""
        if v is not None:
            raw = v.get_secret_value()
            if not raw.isascii() or not raw.isprintable() or " " in raw or len(raw) > 4096:
                raise ValueError("must be printable ASCII without spaces")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if v not in H5_REGIONS:
            raise ValueError(f"must be one of the H5 regions: {', '.join(sorted(H5_REGIONS))}")
        return v


class TencentProvider(Provider):
    """Tencent Cloud eKYC, mobile HTML5 flow (``faceid`` 2018-03-01, intl site)."""

    name = "tencent"
    display_name = "Tencent Cloud eKYC"
    settings_model = TencentSettings
    capabilities = Capabilities(
        link=LinkReuse.REUSABLE,
        link_source="reference/tencent.md: VerificationURL valid for its window; the docs state no single use",
        check_sets=frozenset(_CHECK_MODES),
        document_types=frozenset({DocumentType.PASSPORT, DocumentType.ID_CARD, DocumentType.DRIVERS_LICENSE}),
        reference_image=True,
        expected_identity=False,
        contact_email=False,
        return_url_required=True,
        client_metadata_required=False,
        create_retry=RetryMode.NOT_SENT,
        webhooks="X-Webhook-Signature HMAC-SHA256 (eKYC webhooks; H5 delivery not documented)",
        notes="CheckMode 1-4; one IDCardType per session; face match needs a document or a reference image",
        defaults="CheckMode from checks; no IDCardType when document_types is empty (what the H5 page then "
                 "offers is not documented); Language from language (settings language otherwise)",
        unsupported="expected identity; contact e-mail; RESIDENCE_PERMIT; several document types in one session; "
                    "languages other than en, th, id, zh-CN, zh-TW; a session without return_url",
    )
    code_table = CODE_TABLE
    documented_success = frozenset({("result", "0")})
    emulator = "ekyc.providers.tencent.emulator:TencentEmulator"
    settings: TencentSettings

    def __init__(self, settings: ProviderSettings, *, clock: Clock = time.time) -> None:
        super().__init__(settings, clock=clock)
        if not isinstance(self.settings, TencentSettings):
            raise TypeError("TencentProvider needs TencentSettings")
        self._url = self.base_url("https://" + DEFAULT_HOST) + "/"
        self._host = httpx.URL(self._url).netloc.decode("ascii")
        self._secret_id = self.settings.secret_id.get_secret_value()
        self._secret_key = self.settings.secret_key.get_secret_value()
        self._token = self.settings.token.get_secret_value() if self.settings.token else None

    # -- validation ------------------------------------------------------------------------------
    def check_request(self, request: SessionRequest) -> None:
        """Everything Tencent's H5 flow cannot honour raises :class:`UnsupportedFeature` here (no I/O)."""
        self.create_body(request)
        super().check_request(request)

    def create_body(self, request: SessionRequest) -> dict[str, Any]:
        """The JSON body of ``ApplyWebVerificationBizTokenIntl`` (:class:`UnsupportedFeature` /
        :class:`InvalidRequest` for what the H5 flow cannot honour)."""
        if request.expected is not None:
            raise self.unsupported("cross-checking expected identity data is not available", "expected")
        if request.contact_email is not None:
            raise self.unsupported("a contact e-mail is not used by the H5 flow", "contact_email")
        if request.metadata:
            raise self.unsupported("metadata cannot be passed through (Extra carries the reference)",
                                   "metadata")
        if request.return_url is None:
            raise self.unsupported("a return_url is required (RedirectURL)", "return_url")
        if len(request.reference) > MAX_EXTRA:
            raise self.unsupported(f"reference is longer than {MAX_EXTRA} characters", "reference")
        # client_metadata (Alibaba's browser MetaInfo) is ignored: Tencent's H5 page collects its own.
        checks = frozenset(request.checks)
        if Check.FACE_MATCH in checks and Check.LIVENESS not in checks:
            raise self.unsupported("face_match always runs with liveness on Tencent H5", "checks")
        if checks == _LIVE_FACE and request.reference_image is None:
            raise self.unsupported(
                "face_match needs something to compare with: add the document check or a reference_image",
                "reference_image")
        mode = _CHECK_MODES.get(checks)
        if mode is None:
            wanted = "+".join(sorted(c.value for c in checks))
            raise self.unsupported(f"the check combination {wanted} is not a Tencent CheckMode", "checks")
        if request.reference_image is not None and mode != 2:
            raise self.unsupported("a reference_image is used only with liveness+face_match (CheckMode 2)",
                                   "reference_image")
        options = request.options_for(self.name)
        config: dict[str, Any] = {"CheckMode": mode}
        top: dict[str, Any] = {}
        for key, value in options.items():
            kind = CONFIG_OPTIONS.get(key) or TOP_LEVEL_OPTIONS.get(key)
            if kind is None:
                raise self.unsupported(f"provider option {key!r} is not known (CheckMode comes from checks)",
                                       "provider_options")
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise InvalidRequest(f"provider option {key} must be {kind.__name__}",
                                     provider=self.name, field=f"provider_options.tencent.{key}")
            (top if key in TOP_LEVEL_OPTIONS else config)[key] = value
        if "SelectedWarningCodes" in config:
            try:
                parse_selected_warning_codes(config["SelectedWarningCodes"])
            except ValueError as exc:
                message = f"provider option SelectedWarningCodes: {exc}"
            else:
                message = ""
            if message:
                raise InvalidRequest(message, provider=self.name,
                                     field="provider_options.tencent.SelectedWarningCodes")
        problem = config_problem(config)
        if problem is not None:
            key, wrong = problem
            raise InvalidRequest(f"provider option {key} {wrong}", provider=self.name,
                                 field=f"provider_options.tencent.{key}")
        if "IDCardType" in config:
            if config["IDCardType"] not in ID_CARD_TYPES:
                raise self.unsupported("IDCardType is not a documented H5 card type", "provider_options")
            if mode not in (1, 4):
                raise self.unsupported("IDCardType needs the document check", "provider_options")
        elif request.document_types:
            if mode not in (1, 4):
                raise self.unsupported("document_types need the document check", "document_types")
            config["IDCardType"] = self._card_type(request)
        if "Language" not in config and request.language is not None:
            tag = request.language.lower().replace("_", "-")
            lang = _LANGUAGES.get(tag) or (None if tag.startswith("zh") else _LANGUAGES.get(tag.split("-")[0]))
            if lang is None:
                raise self.unsupported("the H5 page speaks en, th, id, zh-cn and zh-tc only", "language")
            config["Language"] = lang
        payload: dict[str, Any] = {"RedirectURL": request.return_url, "Extra": request.reference}
        if request.reference_image is not None:
            payload["CompareImageBase64"] = request.reference_image
        payload.update(top)
        payload["Config"] = config
        return payload

    def _card_type(self, request: SessionRequest) -> str:
        types: set[str] = set()
        for doc in request.document_types:
            if doc is DocumentType.PASSPORT:
                types.add("InternationalIDPassport")
                continue
            table = {DocumentType.ID_CARD: _ID_CARDS, DocumentType.DRIVERS_LICENSE: _DRIVING_LICENSES}.get(doc)
            if table is None:
                raise self.unsupported(f"document type {doc.value} is not supported", "document_types")
            if request.country is None:
                raise self.unsupported(f"{doc.value} needs a country to choose the Tencent card type", "country")
            card = table.get(request.country)
            if card is None:
                raise self.unsupported(
                    f"{doc.value} from {request.country} is not a Tencent H5 card type "
                    f"(set provider_options tencent.IDCardType to choose one)", "country")
            types.add(card)
        if len(types) > 1:
            raise self.unsupported("Tencent reads one card type per session; give one document type",
                                   "document_types")
        return types.pop()

    # -- requests --------------------------------------------------------------------------------
    def _prepare(self, action: str, payload: Mapping[str, Any], operation: str, retry: RetryMode,
                  context: dict[str, Any], ref: SessionRef | None = None) -> Prepared:
        body = json.dumps(payload).encode("utf-8")
        timestamp = int(self.clock())
        headers = signing.sign_headers(
            secret_id=self._secret_id, secret_key=self._secret_key, action=action, body=body,
            host=self._host, timestamp=timestamp, region=self.settings.region, language=self.settings.language,
            token=self._token,
        )
        context["timestamp"] = timestamp
        return Prepared(httpx.Request("POST", self._url, headers=headers, content=body), operation, retry,
                        context, ref)

    def build_create(self, request: SessionRequest) -> Prepared:
        """``ApplyWebVerificationBizTokenIntl`` (retried only when it certainly was not processed)."""
        payload = self.create_body(request)
        context = {"requested": Requested.from_config(payload["Config"]), "reference": request.reference}
        return self._prepare(APPLY_ACTION, payload, CREATE_SESSION, RetryMode.NOT_SENT, context)

    def build_result(self, ref: SessionRef) -> Prepared:
        """``GetWebVerificationResultIntl(BizToken)``; a ref that is not a Tencent one is refused before I/O."""
        if not isinstance(ref, SessionRef) or ref.provider != self.name:
            raise InvalidRequest("not a Tencent session reference", provider=self.name, field="ref")
        requested = self._requested(ref)
        if not _TOKEN.fullmatch(ref.id):
            raise InvalidRequest("the ref's id is not a BizToken", provider=self.name, field="ref")
        return self._prepare(RESULT_ACTION, {"BizToken": ref.id}, GET_RESULT, RetryMode.READ,
                              {"requested": requested}, ref)

    def _requested(self, ref: SessionRef) -> Requested:
        try:
            return Requested.from_extra(ref.extra)
        except ValueError:
            bad = True
        if bad:  # raised outside the handler: no exception context
            raise InvalidRequest("the ref's extra is not a Tencent session configuration", provider=self.name,
                                 field="ref")
        return UNKNOWN  # pragma: no cover

    # -- responses -------------------------------------------------------------------------------
    def envelope(self, data: Any, response: httpx.Response) -> Envelope:
        """API 3.0 answers ``{"Response": {…, "RequestId"}}``, an error as ``Response.Error.Code`` (its
        ``Message`` is free text and never shown: the code table's meaning is)."""
        resp = data.get("Response") if isinstance(data, dict) else None
        if not isinstance(resp, dict):
            raise wire.WireError("Response", "is not an object")
        error = resp.get("Error")
        if error is None:  # a result: its RequestId names nothing (a failed create reads it itself)
            return Envelope(body=resp, request_id=None if response.status_code in self.result_statuses
                            else _request_id(resp))
        code = error.get("Code") if isinstance(error, dict) else None
        if not isinstance(code, str) or not code or len(code) > 128 or not code.isascii() \
                or not code.isprintable():
            raise wire.WireError("Response.Error.Code", "is not an error code")
        return Envelope(body=resp, code=code, request_id=_request_id(resp))

    def parse_create(self, prepared: Prepared, response: httpx.Response) -> Session:
        """``BizToken`` → ref, ``VerificationURL`` → url, expiry 10 minutes after the request."""
        resp = self.read(prepared, response).body
        token = resp.get("BizToken")
        url = resp.get("VerificationURL") or resp.get("VerificationUrl")
        # checked without raising inside a handler and without echoing values: nothing here may carry the
        # bearer token or URL into a message or an exception chain
        problem = None
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            problem = "BizToken"
        elif not isinstance(url, str) or not _bearer_url_ok(url):
            problem = "VerificationURL"
        if problem is not None:
            raise ProviderError(f"malformed session: {problem} is missing or not valid", provider=self.name,
                                http_status=response.status_code, request_id=_request_id(resp), field=problem)
        assert isinstance(token, str) and isinstance(url, str)
        requested: Requested = prepared.context.get("requested", UNKNOWN)
        reference: str | None = prepared.context.get("reference")
        expires = datetime.fromtimestamp(prepared.context["timestamp"] + TOKEN_TTL_SECONDS, tz=timezone.utc)
        ref = SessionRef(provider=self.name, id=token, extra=requested.to_extra(), reference=reference)
        return Session(ref=ref, url=url, expires_at=expires, raw=resp)

    def parse_result(self, prepared: Prepared, response: httpx.Response) -> Decision:
        """The normalized decision (see :mod:`ekyc.providers.tencent.parse` for the rules)."""
        ref = prepared.require_ref()
        requested: Requested = prepared.context.get("requested", UNKNOWN)
        return self.read_result(prepared, response, lambda env: decide(ref, env.body, requested))

    def parse_return_url(self, url: str) -> SessionRef:
        """``RedirectURL?token=<BizToken>`` → the session (nothing else in the URL is trusted).

        The ref carries no CheckMode and no reference: it only says "go and look". Fetch the result with the
        ref stored at create (``get_result(stored_ref)``), which knows both.
        """
        token = _return_token(url)
        if token is None:
            raise WebhookVerificationError("the return URL has no single valid token parameter",
                                           provider=self.name, field="url")
        return SessionRef(provider=self.name, id=token)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify ``X-Webhook-Signature`` (:func:`.signing.verify`: HMAC-SHA256 of ``timestamp + "." + body``,
        constant time, ±:data:`.signing.TOLERANCE_SECONDS`), then read the body with the strict JSON reader.
        Every refusal is a :class:`WebhookVerificationError` naming the field."""
        key = self.settings.webhook_signature_key
        seconds = signing.verify(body, headers, key.get_secret_value() if key is not None else None, self.clock())
        event, field = _webhook_event(bytes(body), seconds)
        if event is None:
            raise WebhookVerificationError(f"webhook body is malformed at {field}", provider=self.name,
                                           field=field)
        return event


def _request_id(resp: Mapping[str, Any]) -> str | None:
    """A ``Response``'s ``RequestId`` when it is a sane one (printable, 1-128 characters), else None."""
    rid = resp.get("RequestId")
    return rid if isinstance(rid, str) and 0 < len(rid) <= 128 and rid.isprintable() else None


def _bearer_url_ok(url: str) -> bool:
    """An absolute http(s) URL of sane length (the VerificationURL), checked without raising."""
    if len(url) > MAX_VERIFICATION_URL or not url.isascii():
        return False
    try:
        http_url(url, "link")  # the check Session.url applies: nothing can fail later, with the URL in it
    except ValueError:
        return False
    return True


def _return_token(url: object) -> str | None:
    """The single ``token`` query parameter of a return URL, or None (never raises, never echoes)."""
    if not isinstance(url, str) or len(url) > MAX_RETURN_URL or not url.isprintable():
        return None  # urlsplit would silently drop tabs and newlines: a URL carrying them is refused
    try:
        query = urlsplit(url).query
        tokens = parse_qs(query, keep_blank_values=True, max_num_fields=64).get("token", [])
    except ValueError:
        tokens = []
    if len(tokens) != 1 or not _TOKEN.fullmatch(tokens[0]):
        return None
    return tokens[0]


def _webhook_event(body: bytes, seconds: float) -> tuple[WebhookEvent | None, str]:
    """The event of a verified body, or (None, the field that is malformed); never raises."""
    try:
        payload = wire.obj(wire.loads(body, max_size=signing.MAX_BODY), "body")
        token = wire.code(payload.get("BizToken"), "BizToken", max_len=128)
        code = wire.integer(payload.get("ErrorCode"), "ErrorCode")
        rid = wire.text(payload.get("RequestId"), "RequestId", max_len=128)
        scene = wire.code(payload.get("Scene"), "Scene", max_len=64)
        extra = wire.code(payload.get("Extra"), "Extra", max_len=MAX_EXTRA)
    except wire.WireError as exc:
        return None, exc.field[:64]
    if token is None or not _TOKEN.fullmatch(token):
        return None, "BizToken"
    reference = extra if extra and len(extra) <= 256 and extra.isprintable() and extra == extra.strip() \
        else None
    when = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return WebhookEvent(
        provider="tencent",
        ref=SessionRef(provider="tencent", id=token, reference=reference),
        event_id=rid,
        event_type=scene,
        provider_status=None if code is None else str(code),
        verified_by="X-Webhook-Signature",
        authenticated="payload",
        occurred_at=when,
        raw=payload,
    ), ""
