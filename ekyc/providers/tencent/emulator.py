"""The Tencent Cloud eKYC (H5) emulator: ``POST /`` API 3.0 with TC3 signature checks, and the hosted page.

Faithful to the wire as the references document it: ``X-TC-Action`` dispatch, the ``{"Response": {…,
"RequestId"}}`` envelope on HTTP 200 (errors included), ``Content-Type: application/json`` exactly (the
official SDK parses error envelopes only then), BizToken usable for 10 minutes, results retrievable for 3
days. Choices where the references are silent (documented in docs/providers/tencent.md):

- an unfinished session polled within 10 minutes answers without ``ErrorCode`` (PENDING); after 10
  minutes it answers ``ErrorCode`` 15 (token expired); after 3 days every result call answers
  ``InvalidParameterValue.BizTokenExpired``;
- ``Extra`` is echoed by every result call exactly as given at create (as the SDK documents it);
- a document warning (``kind=warn_card``) is listed in ``WarnCardInfos`` next to ``ErrorCode`` 0; ``IsPass``
  is true when the warning was not selected to interrupt the flow (``DisableCheckOcrWarnings=true``, or a
  ``SelectedWarningCodes`` list without it) and false otherwise. Tencent interrupts the flow on a selected
  warning and does not document the ``ErrorCode`` that follows, so the catalog's ``document_tampered`` and
  ``document_unreadable`` (which expect ``DECLINED``) are not rendered;
- webhooks (``X-Webhook-Signature``) are delivered on completion only when one is configured with
  :meth:`TencentEmulator.configure_webhook` — whether Tencent posts H5 results to
  ``NONDOC_VERIFICATION_RESULT`` webhooks is not documented.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute

from ekyc.sandbox.emulator import Delivery, Emulator, Refusal, read_form, read_json
from ekyc.sandbox.scenarios import PERSON, SCENARIOS

from . import signing
from .adapter import CONFIG_OPTIONS, H5_REGIONS, ID_CARD_TYPES, TOKEN_TTL_SECONDS
from .codes import CODE_TABLE
from .config import config_problem
from .requested import parse_selected_warning_codes

if TYPE_CHECKING:
    from ekyc.sandbox.server import Sandbox

SANDBOX_SECRET_ID = "AKIDsandboxEKYCtencent00000000000000"
SANDBOX_SECRET_KEY = "sandboxSecretKeyTencentEKYC00000"
SANDBOX_WEBHOOK_KEY = "sandbox-tencent-webhook-signature-key"
SANDBOX_RULE_IDS = frozenset({"1"})
RESULT_RETENTION_SECONDS = 259_200
MAX_SKEW_SECONDS = 300
MAX_IMAGE_BYTES = 8 * 1024 * 1024
LANGUAGES = frozenset({"th", "en", "zh-cn", "zh-tc", "id"})
PAGE_PATH = "/tencent/reflect/"
# a 1x1 JPEG, as the "best frame" and card images (small on purpose)
TINY_JPEG = ("/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////"
             "////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")

#: catalog scenario → the result code that renders it
SCENARIO_CODES: dict[str, int] = {
    "approved": 0,
    "face_mismatch": 2016,
    "liveness_spoof": 1002,
    "no_face": 1004,
    "multiple_faces": 2012,
    "poor_capture": 1201,
    "retry_limit": 16,
    "user_cancelled": 1410,
    "timed_out": 1409,
    "session_expired": 15,
    "provider_error": 4,
}
#: result codes that end the flow before any capture (no attempts, no OCR)
_NO_CAPTURE = frozenset({1, 2, 3, 4, 8, 9, 10, 11, 14, 15, 17, -999, 1409, 1410})


def _mrz_check(text: str) -> str:
    values = {**{str(i): i for i in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(values[c] * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10)


def _passport() -> dict[str, Any]:
    dob = PERSON["date_of_birth"].strftime("%y%m%d")
    exp = PERSON["expiry_date"].strftime("%y%m%d")
    number = PERSON["document_number"].ljust(9, "<")
    line1 = f"P<GBR{PERSON['family_name']}<<{PERSON['given_name']}".ljust(44, "<")
    body = f"{number}{_mrz_check(number)}GBR{dob}{_mrz_check(dob)}F{exp}{_mrz_check(exp)}" + "<" * 14 + "0"
    line2 = body + _mrz_check(body[:10] + body[13:20] + body[21:43])
    return {
        "LicenseNumber": PERSON["document_number"],
        "FullName": PERSON["full_name"],
        "Surname": PERSON["family_name"],
        "GivenName": PERSON["given_name"],
        "Birthday": PERSON["date_of_birth"].isoformat(),
        "Sex": PERSON["sex"],
        "DateOfExpiration": PERSON["expiry_date"].isoformat(),
        "IssuingCountry": PERSON["issuing_country"],
        "NationalityCode": PERSON["nationality"],
        "PassportCodeFirst": line1,
        "PassportCodeSecond": line2,
    }


def _card(card_type: str) -> dict[str, Any]:
    if card_type == "InternationalIDPassport":
        return _passport()
    # other card types: the fields every Normal* card model shares
    return {"FullName": PERSON["full_name"], "LicenseNumber": PERSON["document_number"],
            "Birthday": PERSON["date_of_birth"].isoformat(), "Sex": PERSON["sex"]}


def _bad_choice(message: str) -> Refusal:
    """The hosted page's answer (HTTP 400) to a form it cannot render."""
    return Refusal("BadChoice", message, status=400)


def with_token(url: str, token: str) -> str:
    """``url`` with ``token=<BizToken>`` appended to its query (kept intact), fragment preserved."""
    parts = urlsplit(url)
    query = f"{parts.query}&token={token}" if parts.query else f"token={token}"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass
class _Session:
    token: str
    redirect_url: str
    extra: str | None
    config: dict[str, Any]
    created: float
    completed: float | None = None
    result: dict[str, Any] | None = None
    forced_error: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def check_mode(self) -> int:
        return int(self.config.get("CheckMode", 2))


class TencentEmulator(Emulator[_Session]):
    """``faceid`` 2018-03-01 (intl) emulator: the API at ``POST /`` and the H5 page at ``/tencent/reflect/``."""

    name = "tencent"
    title = "Tencent Cloud eKYC"
    path_prefixes = ("/tencent/",)
    unsupported = {
        "review": "Tencent eKYC has no manual review state; every ErrorCode is final",
        "document_expired": "no documented H5 code or warning reports an expired document "
                            "(AllowExpiredDocument covers HKID only, with no documented result code)",
        "data_mismatch": "the H5 flow takes no expected identity data to cross-check",
        "document_tampered": "Tencent interrupts the flow on a selected document warning and documents no "
                             "ErrorCode for it; an unselected warning comes with ErrorCode 0 (REVIEW or a "
                             "warning, never DECLINED)",
        "document_unreadable": "Tencent interrupts the flow on a selected document warning and documents no "
                               "ErrorCode for it; an unselected warning comes with ErrorCode 0 (REVIEW or a "
                               "warning, never DECLINED)",
    }

    link_missing = "The link is invalid."

    def __init__(self, sandbox: Sandbox) -> None:
        super().__init__(sandbox)
        #: SecretId → SecretKey accepted by the signature check
        self.credentials: dict[str, str] = {SANDBOX_SECRET_ID: SANDBOX_SECRET_KEY}
        #: configured eKYC webhooks (url, signature key)
        self.webhooks: list[tuple[str, str]] = []
        self._app_webhook: tuple[str, str] | None = None

    # -- wiring ----------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The hosted H5 page (the API lives at ``/``, see :meth:`claims`)."""
        return [self.page_route(PAGE_PATH, self.hosted, methods=["GET", "POST"])]

    def claims(self, method: str, path: str, headers: Mapping[str, str], query: str = "") -> bool:
        """API 3.0 calls: requests to ``/`` that carry ``X-TC-Action``; and the hosted page."""
        if path == "/":
            return any(k.lower() == "x-tc-action" for k in headers)
        return super().claims(method, path, headers, query)

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials, region and endpoint for an ``ekyc`` client."""
        return {"secret_id": SANDBOX_SECRET_ID, "secret_key": SANDBOX_SECRET_KEY, "region": "ap-singapore",
                "endpoint": base_url, "webhook_signature_key": SANDBOX_WEBHOOK_KEY}

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """How to point the official SDK (``tencentcloud-sdk-python-intl-en``) here."""
        parts = urlsplit(base_url)
        return {
            "TENCENTCLOUD_SECRET_ID": SANDBOX_SECRET_ID,
            "TENCENTCLOUD_SECRET_KEY": SANDBOX_SECRET_KEY,
            "region": "ap-singapore",
            "endpoint": parts.netloc,
            "protocol": parts.scheme,
            "python": f'HttpProfile(endpoint="{parts.netloc}", protocol="{parts.scheme}") in '
                      'ClientProfile(httpProfile=...), then FaceidClient(cred, "ap-singapore", profile)',
        }

    def fault_response(self, kind: str) -> Response:
        """Throttling the Tencent way: HTTP 200 with ``RequestLimitExceeded`` in the envelope."""
        if kind == "429":
            return self.refuse(Refusal("RequestLimitExceeded", "Number of requests exceeds the frequency limit."),
                               None)
        return super().fault_response(kind)

    def configure_webhook(self, url: str, signature_key: str = SANDBOX_WEBHOOK_KEY) -> None:
        """Register an eKYC webhook (as ``CreateEKYCWebhook`` with a ``SignatureKey`` would)."""
        self.webhooks.append((url, signature_key))

    def use_webhook_url(self, url: str | None) -> None:
        """The app's webhook URL set on the sandbox: registered as an eKYC webhook (None removes it)."""
        self.webhooks = [(u, k) for u, k in self.webhooks if (u, k) != self._app_webhook]
        self._app_webhook = None if url is None else (url, SANDBOX_WEBHOOK_KEY)
        if self._app_webhook is not None:
            self.webhooks.append(self._app_webhook)

    # -- envelope --------------------------------------------------------------------------------
    @staticmethod
    def _json(payload: dict[str, Any]) -> Response:
        body = json.dumps({"Response": {**payload, "RequestId": str(uuid.uuid4())}}).encode("utf-8")
        return Response(body, status_code=200, media_type="application/json")

    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """Tencent's error envelope: HTTP 200 ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``."""
        return self._json({"Error": {"Code": refusal.code, "Message": refusal.message}})

    def unknown_session(self, session_id: str) -> Refusal:
        """A BizToken Tencent never issued."""
        return Refusal("InvalidParameterValue.BizTokenIllegal", "BizToken is invalid.")

    async def authenticate(self, request: Request) -> None:
        """TC3-HMAC-SHA256 over the body, with Tencent's ``AuthFailure.*`` refusals."""
        body = await request.body()
        parsed = signing.parse_authorization(request.headers.get("authorization"))
        stamp = request.headers.get("x-tc-timestamp", "")
        if parsed is None or not stamp.isdigit():
            raise Refusal("AuthFailure.InvalidAuthorization", "Authorization header not to standard.")
        secret = self.credentials.get(parsed.secret_id)
        if secret is None:
            raise Refusal("AuthFailure.SecretIdNotFound",
                           "The SecretId is not found, please ensure that your SecretId is correct.")
        timestamp = int(stamp)
        if abs(self.clock.now() - timestamp) > MAX_SKEW_SECONDS:
            raise Refusal("AuthFailure.SignatureExpire", "Signature expired. Timestamp is more than 5 minutes "
                                                         "away from the server time.")
        ok = parsed.service == signing.SERVICE and signing.verify_request(
            secret, parsed, body, host=request.headers.get("host", ""), timestamp=timestamp,
            content_type=request.headers.get("content-type", ""))
        if not ok:
            raise Refusal("AuthFailure.SignatureFailure", "The provided credentials could not be validated. "
                                                         "Please ensure your signature is correct.")

    async def handle_root(self, request: Request) -> Response:
        """``POST /`` with ``X-TC-Action``: authenticate, then dispatch."""
        return await self.answer(request, self._dispatch)

    async def _dispatch(self, request: Request) -> Response:
        if request.method != "POST" or not request.headers.get("content-type", "").startswith("application/json"):
            raise Refusal("InvalidParameter", "The sandbox accepts POST application/json only.")
        if request.headers.get("x-tc-version") != signing.VERSION:
            raise Refusal("NoSuchVersion", "The API version does not exist.")
        if request.headers.get("x-tc-region") not in H5_REGIONS:
            raise Refusal("UnsupportedRegion", "The region is not supported.")
        not_object = Refusal("InvalidParameter", "The request body is not a JSON object.")
        params = await read_json(request, not_object)
        if not isinstance(params, dict):
            raise not_object
        action = request.headers.get("x-tc-action", "")
        if action == "ApplyWebVerificationBizTokenIntl":
            return self._json(self._apply(params))
        if action == "GetWebVerificationResultIntl":
            return self._json(self._result(params))
        raise Refusal("InvalidAction", "The action does not exist.")

    # -- actions ---------------------------------------------------------------------------------
    def _apply(self, params: dict[str, Any]) -> dict[str, Any]:
        allowed = {"RedirectURL", "CompareImageBase64", "Extra", "RuleId", "Config"}
        unknown = sorted(set(params) - allowed)
        if unknown:
            raise Refusal("UnknownParameter", f"The parameter {unknown[0]} is not defined.")
        redirect = params.get("RedirectURL")
        if redirect is None:
            raise Refusal("MissingParameter", "The parameter RedirectURL is missing.")
        if not isinstance(redirect, str) or urlsplit(redirect).scheme not in ("http", "https") \
                or not urlsplit(redirect).netloc:
            raise Refusal("InvalidParameterValue", "RedirectURL is not a valid URL.")
        extra = params.get("Extra")
        if extra is not None and (not isinstance(extra, str) or len(extra) > 1000):
            raise Refusal("InvalidParameterValue", "Extra must be a string of at most 1000 characters.")
        rule = params.get("RuleId")
        if rule is not None and rule not in SANDBOX_RULE_IDS:
            raise Refusal("InvalidParameterValue.RuleIdNotExist",
                           "RuleId does not exist. Go to the eKYC console to apply.")
        config = params.get("Config") or {}
        if not isinstance(config, dict):
            raise Refusal("InvalidParameterValue", "Config must be an object.")
        self._check_config(config)
        image = params.get("CompareImageBase64")
        if image is not None:
            self._check_image(image)
        if config.get("CheckMode", 2) == 2 and image is None:
            raise Refusal("InvalidParameter", "CompareImageBase64 is required for CheckMode 2.")
        token = str(uuid.uuid4()).upper()
        self.open_session(token, _Session(token, redirect, extra, dict(config), self.clock.now()), reference=extra,
                          link=token)
        return {"BizToken": token, "VerificationURL": f"{self.sandbox.base_url}{PAGE_PATH}?token={token}"}

    @staticmethod
    def _check_config(config: dict[str, Any]) -> None:
        for key, value in config.items():
            kind = int if key == "CheckMode" else CONFIG_OPTIONS.get(key)
            if kind is None:
                raise Refusal("UnknownParameter", f"The parameter Config.{key} is not defined.")
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise Refusal("InvalidParameterValue", f"Config.{key} has the wrong type.")
        if config.get("CheckMode", 2) not in (1, 2, 3, 4):
            raise Refusal("InvalidParameterValue", "Config.CheckMode must be 1, 2, 3 or 4.")
        if "IDCardType" in config and config["IDCardType"] not in ID_CARD_TYPES:
            raise Refusal("InvalidParameterValue", "Config.IDCardType is not supported.")
        problem = config_problem(config)  # the documented rules; Tencent's error code for them is not documented
        if problem is not None:
            raise Refusal("InvalidParameterValue", f"Config.{problem[0]} {problem[1]}.")
        if "Language" in config and config["Language"] not in LANGUAGES:
            raise Refusal("InvalidParameterValue", "Config.Language is not supported.")
        if "SelectedWarningCodes" in config:
            try:
                parse_selected_warning_codes(config["SelectedWarningCodes"])
            except ValueError:
                ok = False
            else:
                ok = True
            if not ok:
                raise Refusal("InvalidParameterValue", "Config.SelectedWarningCodes is not a list of warning codes.")

    @staticmethod
    def _check_image(image: Any) -> None:
        if not isinstance(image, str) or image.startswith("data:"):
            raise Refusal("InvalidParameterValue", "CompareImageBase64 must be plain base64.")
        try:
            raw = base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError):
            raise Refusal("InvalidParameterValue", "CompareImageBase64 is not base64.") from None
        if not raw:
            raise Refusal("InvalidParameterValue", "CompareImageBase64 is empty.")
        if len(raw) > MAX_IMAGE_BYTES:
            raise Refusal("FailedOperation.ImageSizeTooLarge", "The image is larger than 8 MB.")

    def _result(self, params: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(params) - {"BizToken"})
        if unknown:
            raise Refusal("UnknownParameter", f"The parameter {unknown[0]} is not defined.")
        token = params.get("BizToken")
        if token is None:
            raise Refusal("MissingParameter", "The parameter BizToken is missing.")
        if not isinstance(token, str):
            raise self.unknown_session("")
        session = self.session(token)
        now = self.clock.now()
        if now - session.created > RESULT_RETENTION_SECONDS:
            raise Refusal("InvalidParameterValue.BizTokenExpired", "BizToken expired.")
        if session.forced_error is not None:
            entry = CODE_TABLE.get("api_error", session.forced_error)
            raise Refusal(session.forced_error, entry.message if entry else "Sandbox error.")
        if session.result is None and now - session.created > TOKEN_TTL_SECONDS:
            session.result = self.render(session, 15)
            session.completed = now
        if session.result is None:
            return {"ErrorCode": None, "ErrorMsg": None, "VerificationDetailList": None, "VideoBase64": None,
                    "BestFrameBase64": None, "OCRResult": None, "Extra": session.extra}
        return {**session.result, "Extra": session.extra}

    # -- rendering -------------------------------------------------------------------------------
    def render(self, session: _Session, code: int, *, warn: int | None = None,
               tag: str | None = None) -> dict[str, Any]:
        """A ``GetWebVerificationResultIntl`` result (without Extra/RequestId) for ``code``."""
        mode = session.check_mode
        now_ms = int(self.clock.now() * 1000)
        entry = CODE_TABLE.get("result", code)
        message = entry.message if entry else "Unknown error"
        details: list[dict[str, Any]] = []
        captured = code not in _NO_CAPTURE
        if captured and mode != 4:
            failures = [(1005, "Liveness detection failed")] * 2 if code == 16 else []
            for n, (fcode, fmsg) in enumerate(failures):
                details.append(self._attempt(fcode, fmsg, fcode, None, None, now_ms - 60_000 + n * 1000, None))
            compares = mode in (1, 2)
            if code == 0 or 2000 <= code < 3000:
                live, comp = 0, (code if compares else None)
                similarity = (92.57 if code == 0 else 41.3 if code in (2011, 2015, 2016) else None)
                similarity = similarity if compares else None
            elif code == 16:
                live, comp, similarity = 1005, None, None
            else:
                live, comp, similarity = code, None, None
            details.append(self._attempt(code, message, live, comp, similarity, now_ms, tag))
        ocr: list[dict[str, Any]] | None = None
        if captured and mode in (1, 4):
            card_type = session.config.get("IDCardType", "InternationalIDPassport")
            warn_entry = CODE_TABLE.get("warn_card", warn) if warn is not None else None
            failing = warn is not None and (warn_entry is None or (
                warn_entry.outcome is not None and self._interrupts(session.config, warn)))
            item: dict[str, Any] = {
                "IsPass": not failing,
                "CardImageBase64": TINY_JPEG,
                "WarnCardInfos": [warn] if warn is not None else [],
                "RequestId": str(uuid.uuid4()),
            }
            if mode == 4:
                item["OriginalCardInfo"] = json.dumps({card_type: _card(card_type)})
            else:
                item["NormalCardInfo"] = {card_type: _card(card_type)}
            ocr = [item]
        return {
            "ErrorCode": code,
            "ErrorMsg": message,
            "VerificationDetailList": details,
            "VideoBase64": None,
            "BestFrameBase64": TINY_JPEG if details else None,
            "OCRResult": ocr,
        }

    @staticmethod
    def _interrupts(config: dict[str, Any], warn: int) -> bool:
        """Whether ``warn`` was selected to interrupt the flow (``DisableCheckOcrWarnings`` false and the code
        in ``SelectedWarningCodes``, empty = all)."""
        if config.get("DisableCheckOcrWarnings") is True:
            return False
        selected = parse_selected_warning_codes(config.get("SelectedWarningCodes", ""))
        return selected is None or warn in selected

    @staticmethod
    def _attempt(code: int, message: str, live: int, comp: int | None, similarity: float | None, at_ms: int,
                 tag: str | None) -> dict[str, Any]:
        live_entry = CODE_TABLE.get("result", live)
        comp_entry = CODE_TABLE.get("result", comp) if comp is not None else None
        return {
            "ErrorCode": code,
            "ErrorMsg": message,
            "LivenessErrorCode": live,
            "LivenessErrorMsg": live_entry.message if live_entry else "Unknown error",
            "CompareErrorCode": comp,
            "CompareErrorMsg": (comp_entry.message if comp_entry else "Unknown error") if comp is not None
            else None,
            "ReqTimestamp": at_ms,
            "Similarity": similarity,
            "Seq": str(uuid.uuid4()),
            "LivenessInfoTag": [tag] if tag is not None else None,
        }

    # -- the hosted H5 page ----------------------------------------------------------------------
    async def hosted(self, request: Request) -> Response:
        """``GET`` shows the H5 flow; ``POST`` (``scenario=`` or ``code=`` [+ ``kind=``]) completes it."""
        token = request.query_params.get("token", "")
        session = self.linked_session(token)
        now = self.clock.now()
        closed = None
        if session.result is not None:
            closed = "Verification has been completed."
        elif now - session.created > TOKEN_TTL_SECONDS:
            closed = "Token expired. This link was valid for 10 minutes."
        if request.method == "GET":
            steps = {1: ["Document", "Selfie", "Result"], 2: ["Selfie", "Result"], 3: ["Selfie", "Result"],
                     4: ["Document", "Result"]}[session.check_mode]
            return self.page(title="Identity verification (HTML5)", session_label=f"BizToken {token}",
                             action=f"{PAGE_PATH}?token={token}", steps=steps, closed=closed,
                             note=f"CheckMode {session.check_mode}")
        if closed is not None:
            raise Refusal("Closed", closed, status=409)
        self._complete(session, await read_form(request))
        return RedirectResponse(with_token(session.redirect_url, token), status_code=303)

    def _complete(self, session: _Session, form: dict[str, str]) -> None:
        """Finish the flow as the page's form says (HTTP 400 on the page for a choice it cannot render)."""
        scenario = form.get("scenario")
        warn: int | None = None
        tag: str | None = None
        if scenario is not None:
            if scenario not in SCENARIOS or not self.supports(scenario):
                raise _bad_choice("this scenario is not available for Tencent")
            code = SCENARIO_CODES[scenario]
        else:
            kind = form.get("kind", "result")
            raw = form.get("code", "")
            if kind == "api_error":
                if not raw:
                    raise _bad_choice("code is required")
                session.forced_error = raw
                code = 0
            elif kind == "warn_card":
                code, warn = 0, self._int(raw)
            elif kind == "liveness_tag":
                code, tag = 0, raw
            elif kind == "result":
                code = self._int(raw)
            else:
                raise _bad_choice("kind must be result, warn_card, liveness_tag or api_error")
        session.result = self.render(session, code, warn=warn, tag=tag)
        session.completed = self.clock.now()
        self._notify(session)

    @staticmethod
    def _int(raw: str) -> int:
        if not re.fullmatch(r"-?[0-9]{1,9}", raw):
            raise _bad_choice("code must be an integer (ASCII digits)")
        return int(raw)

    def _notify(self, session: _Session) -> None:
        if session.result is None:
            return
        for url, key in self.webhooks:
            body = json.dumps({
                "Scene": "NONDOC_VERIFICATION_RESULT",
                "BizToken": session.token,
                "ErrorCode": session.result["ErrorCode"],
                "ErrorMsg": session.result["ErrorMsg"],
                "Extra": session.extra,
                "RequestId": str(uuid.uuid4()),
            }).encode("utf-8")
            stamp = str(int(self.clock.now()))
            sig = hmac.new(key.encode("utf-8"), stamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
            self.deliver(Delivery(self.name, "POST", url, {
                "Content-Type": "application/json", "X-Webhook-Signature": sig, "X-Webhook-Timestamp": stamp,
            }, body, session_id=session.token))
