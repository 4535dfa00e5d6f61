"""A local emulator of Cloudauth-intl 2022-08-09 (``Initialize``, ``CheckResult``) and its hosted page.

Faithful to the wire as far as the references go: RPC ``POST /`` (GET accepted) dispatched on
``x-acs-action``; ACS3-HMAC-SHA256 verified over exactly the ``SignedHeaders`` (unknown key, bad signature,
``x-acs-content-sha256`` ≠ body hash, more than 15 minutes of skew on the sandbox clock, reused nonce);
query and form body merged; Alibaba error bodies ``{RequestId, HostId, Code, Message, Recommend}``.

Emulator behaviour that the references do not confirm (documented in ``docs/providers/alibaba.md``):

- the redirect to ``ReturnUrl`` appends ``transactionId=<TransactionId>``;
- failures whose Cloudauth-intl ``SubCode`` is not published are rendered with ``SubCode`` :data:`DOC_FAIL_SUBCODE`
  (``206``, China-site "business policy restricted"); face mismatch uses ``204`` and liveness attacks ``205``
  (China-site meanings; ``205`` is also the intl example next to ``FaceAttack=Y``);
- the hosted ``TransactionUrl`` works once: the first GET opens it, any later GET shows it as used.

Regions: the emulator answers as one regional endpoint. A request whose ``host`` names a documented regional
endpoint (``cloudauth-intl[-vpc].<region>.aliyuncs.com``) is answered as that region; any other host (the
sandbox's own address) as :attr:`AlibabaEmulator.region`, Singapore (``ap-southeast-1``) unless set. A product
plan outside the region it runs in (:mod:`.products`), a plan without a hosted page, and a ``DocType`` outside the
plan's table or the region's part of it (:mod:`.doctypes`) are refused with HTTP 400 ``InvalidParameter`` naming
the parameter — Alibaba documents ``InvalidParameter`` (400) as its code for an illegal parameter; which code the
live service answers for a plan outside its region is not documented. ``Initialize`` and ``InitializeV2`` take
the same parameters (SDK 3.23.1 models) and both start any hosted plan. ``/alibaba/jsvm_all.js`` stands in for
Alibaba's web script (``hkwebcdn.yuncloudauth.com/cdn/jsvm_all.js``): its ``window.getMetaInfo()`` returns
:data:`SANDBOX_META_INFO` with the browser's own ``ua``. CheckResult accepts ``IsReturnImage`` /
``ReturnFiveCategorySpoofResult`` (``Y``/``N``) and ``ExtraImageControlList``; it returns no images (their field
names are not documented for Cloudauth-intl).
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hmac
import json
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from ...sandbox.emulator import Delivery, Emulator, Refusal, read_form
from ...sandbox.scenarios import PERSON
from ...sandbox.store import MemoryStore
from .adapter import API_VERSION, SANDBOX_META_INFO
from .codes import API_ERROR_STATUS, CODE_TABLE, PASS_SUBCODE
from .doctypes import GLOBAL_PASSPORT, PASSPORT, accepts
from .products import REGIONS, SINGAPORE, plan, region_names
from .signing import ALGORITHM, DATE_FORMAT, canonical_request, parse_authorization, sha256_hex, signature

SANDBOX_ACCESS_KEY_ID = "LTAI5tEkycSandbox00000001"
SANDBOX_ACCESS_KEY_SECRET = "ekyc-sandbox-alibaba-access-key-secret"
SANDBOX_CALLBACK_SECRET = "ekyc-sandbox-alibaba-callback-secret"
SANDBOX_CALLBACK_URL = "https://app.example/kyc/alibaba/callback"
_REGIONAL_HOST = re.compile(r"cloudauth-intl(?:-vpc)?\.([a-z0-9-]+)\.aliyuncs\.com(?::\d+)?")
RETENTION = 30 * 24 * 3600
MAX_SKEW = 15 * 60
DOC_FAIL_SUBCODE = "206"
FACE_MISMATCH_SUBCODE = "204"
LIVENESS_SUBCODE = "205"
FACE_ONLY = frozenset({"FACE_VERIFY", "FACE_LIVENESS", "FACE_LIVENESS_PRO", "FACE_IDU"})
ID_ONLY = frozenset({"ID_OCR", "ID_NFC"})
INITIALIZE_ACTIONS = frozenset({"Initialize", "InitializeV2"})
_REQUIRED_SIGNED = frozenset({"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce",
                              "x-acs-content-sha256"})
_MESSAGES = {
    "MissingParameter": "The input parameter {} that is mandatory for processing this request is not supplied.",
    "InvalidParameter": "The specified parameter {} is invalid.",
}

#: evidence code → how it changes an approved (ExtIdInfo, ExtFaceInfo, ExtSourceInfo)
_EVIDENCE: dict[str, tuple[str, str, Any]] = {
    "ExtIdInfo.spoofInfo.spoofResult=Y": ("id", "spoofInfo", {"spoofResult": "Y", "spoofType": ["TAMPER"]}),
    "ExtIdInfo.ocrIdPassed=N": ("id", "ocrIdPassed", "N"),
    "ExtFaceInfo.faceAttack=Y": ("face", "faceAttack", "Y"),
    "ExtFaceInfo.facePassed=N": ("face", "facePassed", "N"),
    "ExtFaceInfo.faceOcclusion=Y": ("face", "faceOcclusion", "Y"),
    "ExtSourceInfo.govId<1.0": ("source", "govId", 0.0),
    "ExtSourceInfo.fullName<1.0": ("source", "fullName", 0.5),
    "ExtSourceInfo.dob<1.0": ("source", "dob", 0.9),
    "ExtSourceInfo.selfiePhoto<=0.8": ("source", "selfiePhoto", 0.41),
    "ExtSourceInfo.liveness>0.95": ("source", "liveness", 0.99),
    "ExtSourceInfo.imgManipulationScore>0.95": ("source", "imgManipulationScore", 0.97),
    "unrecognized": ("id", "spoofInfo", {"spoofResult": "MAYBE", "spoofType": []}),
    "not-reported": ("face", "faceAttack", None),
    "contradictory": ("id", "spoofInfo", {"spoofResult": "N", "spoofType": ["TAMPER"]}),
}
#: an authoritative-source comparison that matches (the documented ExtSourceInfo thresholds)
_SOURCE_OK = {"govId": 1.0, "fullName": 1.0, "dob": 1.0, "selfiePhoto": 0.93, "liveness": 0.12,
              "imgManipulationScore": 0.08}


def _iso(d: Any, sep: str = "-") -> str:
    return f"{d.year:04d}{sep}{d.month:02d}{sep}{d.day:02d}"


def ocr_info(doc_type: str | None, expiry: Any = None) -> dict[str, Any]:
    """The sandbox PERSON as Alibaba's OCR reads it (passport style for ``01000000``, else ID-card style)."""
    expiry = expiry or PERSON["expiry_date"]
    if doc_type in (None, PASSPORT, GLOBAL_PASSPORT):
        return {
            "surname": PERSON["family_name"], "givenname": PERSON["given_name"], "sex": PERSON["sex"],
            "birthDate": _iso(PERSON["date_of_birth"]), "passportNo": PERSON["document_number"],
            "nationality": PERSON["nationality"], "countryCode": PERSON["issuing_country"],
            "expiryDate": _iso(expiry, "/"), "issueDate": "2021/05/07", "placeOfBirth": "LONDON",
        }
    return {
        "name": PERSON["full_name"], "sex": PERSON["sex"], "idNumber": PERSON["document_number"],
        "birthDate": _iso(PERSON["date_of_birth"]), "expiryDate": _iso(expiry), "address": "1 SAMPLE STREET",
    }


class AlibabaEmulator(Emulator[dict[str, Any]]):
    """Cloudauth-intl at ``/`` (RPC) plus the hosted page at ``/alibaba/verify/<token>``."""

    name = "alibaba"
    title = "Alibaba Cloud ID Verification"
    path_prefixes = ("/alibaba/",)
    unsupported = {
        "no_face": "CheckResult documents no field or intl SubCode for 'no face' (NoFaceDetected is an API error "
                   "of image-upload actions)",
        "multiple_faces": "no documented CheckResult field or SubCode reports several faces",
        "poor_capture": "capture quality shows only in the client result codes (1013, CheckVerifyLog), not in "
                        "CheckResult",
        "document_expired": "CheckResult documents no expiry verdict; the emulator will not invent one",
        "data_mismatch": "expected identity cannot be sent (Initialize has no documented comparison result); "
                         "the adapter raises UnsupportedFeature for expected",
        "retry_limit": "the error-limit code 1014 is a client/CheckVerifyLog code, not a CheckResult result",
        "user_cancelled": "an abandoned flow stays 'ProcessNotCompleted' (PENDING) in CheckResult; the user-exit "
                          "code 1006 is only in CheckVerifyLog",
        "timed_out": "a timed-out flow stays 'ProcessNotCompleted' (PENDING); no CheckResult code says so",
        "session_expired": "TransactionUrl lifetime is not documented; expiry would surface as "
                           "TransactionIdInvalid (an error), not as a result",
        "review": "Cloudauth-intl has no manual-review result (Passed=P means pending)",
        "provider_error": "CheckResult has no result meaning 'internal failure'; failures are API errors",
    }

    def __init__(self, sandbox: Any) -> None:
        super().__init__(sandbox)
        self.credentials: dict[str, str] = {SANDBOX_ACCESS_KEY_ID: SANDBOX_ACCESS_KEY_SECRET}
        self.check_signatures = True
        #: the region this endpoint answers as when the request's host names none (module docstring)
        self.region = SINGAPORE
        #: signature nonces seen (credential:nonce), kept for twice the allowed clock skew
        self.nonces: MemoryStore[bool] = MemoryStore(self.clock.now)

    # -- wiring ----------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        """The hosted page (the API itself is served at ``/`` through :meth:`handle_root`)."""
        return [self.page_route("/alibaba/verify/{token}", self.hosted, methods=["GET", "POST"]),
                self.page_route("/alibaba/jsvm_all.js", self.meta_info_script, methods=["GET"])]

    async def meta_info_script(self, request: Request) -> Response:
        """The sandbox's stand-in for Alibaba's web script: defines ``window.getMetaInfo()``."""
        script = ("/* ekyc sandbox stand-in for Alibaba's jsvm_all.js: a web MetaInfo with this browser's ua */\n"
                  f"window.getMetaInfo = function () {{ var m = JSON.parse({json.dumps(SANDBOX_META_INFO)});\n"
                  "  m.ua = navigator.userAgent; return JSON.stringify(m); };\n")
        return Response(script, media_type="application/javascript")

    def region_of(self, request: Request) -> str:
        """The region a request is answered as (module docstring)."""
        match = _REGIONAL_HOST.fullmatch(request.headers.get("host", ""))
        return match.group(1) if match and match.group(1) in REGIONS else self.region

    def claims(self, method: str, path: str, headers: Mapping[str, str], query: str = "") -> bool:
        """``/`` with an ``x-acs-action`` header (V3) or an ``Action`` query parameter (V2); or ``/alibaba/…``."""
        if path == "/":
            if any(k.lower() == "x-acs-action" for k in headers):
                return True
            return "Action" in parse_qs(query)
        return super().claims(method, path, headers, query)

    def client_settings(self, base_url: str) -> dict[str, Any]:
        """Sandbox credentials and endpoint for an ``ekyc`` client."""
        return {
            "access_key_id": SANDBOX_ACCESS_KEY_ID,
            "access_key_secret": SANDBOX_ACCESS_KEY_SECRET,
            "region": self.region,
            "endpoint": base_url,
            "meta_info_script": f"{base_url}/alibaba/jsvm_all.js",
            "sandbox_meta_info": "true",  # as the environment gives it (settings values are text)
            "callback_url": SANDBOX_CALLBACK_URL,
            "callback_secret": SANDBOX_CALLBACK_SECRET,
        }

    def sdk_hints(self, base_url: str) -> dict[str, str]:
        """How to point the official SDK (``alibabacloud-cloudauth-intl20220809``) here."""
        parts = urlsplit(base_url)
        return {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": SANDBOX_ACCESS_KEY_ID,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": SANDBOX_ACCESS_KEY_SECRET,
            "config": (f'Config(endpoint="{parts.netloc}", protocol="{parts.scheme}", '
                       f'access_key_id="{SANDBOX_ACCESS_KEY_ID}", access_key_secret="{SANDBOX_ACCESS_KEY_SECRET}")'),
            "note": "endpoint is host:port without a scheme; the in-process URL http://sandbox.ekyc.invalid is "
                    "not reachable by the SDK: serve the sandbox (ekyc sandbox serve) and use 127.0.0.1:<port>",
        }

    def fault_response(self, kind: str) -> Response:
        """Alibaba's throttling (HTTP 403 ``Throttling.Api`` with ``x-acs-retry-after`` in ms) or a 503."""
        if kind == "429":
            return self.refuse(Refusal("Throttling.Api", "Request was denied due to api flow control.",
                                       headers={"x-acs-retry-after": "1000"}), None)
        return self.refuse(Refusal("ServiceUnavailable", "The request has failed due to a temporary failure of "
                                                         "the server."), None)

    # -- responses -------------------------------------------------------------------------------
    def refuse(self, refusal: Refusal, request: Request | None) -> Response:
        """An Alibaba OpenAPI error body ``{RequestId, HostId, Code, Message, Recommend}`` with the code's HTTP
        status (:data:`~ekyc.providers.alibaba.codes.API_ERROR_STATUS`, 400 otherwise)."""
        code = refusal.code
        host = request.headers.get("host", "") if request is not None else ""
        body = {
            "RequestId": str(uuid.uuid4()).upper(),
            "HostId": host or "cloudauth-intl.ap-southeast-1.aliyuncs.com",
            "Code": code,
            "Message": refusal.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=Cloudauth-intl",
        }
        return JSONResponse(body, status_code=refusal.status or API_ERROR_STATUS.get(code, 400),
                            headers=dict(refusal.headers), media_type="application/json;charset=utf-8")

    def unknown_session(self, session_id: str) -> Refusal:
        """A TransactionId Alibaba never issued (or one of another MerchantBizId)."""
        return Refusal("TransactionIdInvalid", "The TransactionId is invalid.")

    def success(self, result: dict[str, Any]) -> JSONResponse:
        """``{"RequestId", "Code": "Success", "Message": "success", "Result": …}``."""
        return JSONResponse({"RequestId": str(uuid.uuid4()).upper(), "Code": "Success", "Message": "success",
                             "Result": result}, media_type="application/json;charset=utf-8")

    # -- the API ---------------------------------------------------------------------------------
    async def handle_root(self, request: Request) -> Response:
        """Authenticate, merge query and form body, dispatch on the action."""
        return await self.answer(request, self._dispatch)

    async def _dispatch(self, request: Request) -> Response:
        if request.headers.get("x-acs-version") != API_VERSION:
            raise Refusal("InvalidVersion", "Specified parameter Version is not valid.")
        params = _query(request)
        if "application/x-www-form-urlencoded" in request.headers.get("content-type", ""):
            params.update(await read_form(request))
        action = request.headers.get("x-acs-action")
        if action in INITIALIZE_ACTIONS:
            return self._initialize(params, self.region_of(request))
        if action == "CheckResult":
            return self._check_result(params)
        raise Refusal("InvalidApi.NotFound", "Specified api is not found, please check your url and method.")

    async def authenticate(self, request: Request) -> None:
        """ACS3-HMAC-SHA256 over exactly the signed headers, the body hash, the date skew and the nonce, with
        Alibaba's refusals (only V3 is emulated: a request without ``x-acs-action`` is refused)."""
        if request.headers.get("x-acs-action") is None:
            raise Refusal("IncompleteSignature", "Only the ACS3-HMAC-SHA256 (V3) signature is emulated; the "
                          "request has no x-acs-action header.")
        if not self.check_signatures:
            return
        body = await request.body()
        query = _query(request)
        auth = parse_authorization(request.headers.get("authorization"))
        if auth is None or auth.algorithm != ALGORITHM:
            raise Refusal("IncompleteSignature", "The request signature does not conform to Alibaba Cloud standards.")
        secret = self.credentials.get(auth.credential)
        if secret is None:
            raise Refusal("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if not set(auth.signed_headers) >= _REQUIRED_SIGNED:
            raise Refusal("IncompleteSignature", "The request signature does not conform to Alibaba Cloud standards.")
        try:
            when = calendar.timegm(time.strptime(request.headers.get("x-acs-date", ""), DATE_FORMAT))
        except ValueError:
            raise Refusal("InvalidTimeStamp.Format", "Specified time stamp or date value is not "
                          "well formatted.") from None
        if abs(self.clock.now() - when) > MAX_SKEW:
            raise Refusal("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        payload_hash = sha256_hex(body)
        if not hmac.compare_digest(request.headers.get("x-acs-content-sha256", ""), payload_hash):
            raise Refusal("SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the request body.")
        signed = [(name, value) for name in auth.signed_headers for value in request.headers.getlist(name)]
        canonical = canonical_request(request.method, request.url.path or "/", query, signed, payload_hash)
        expected = signature(secret, canonical)
        if not hmac.compare_digest(expected, auth.signature):
            raise Refusal("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        nonce_key = f"{auth.credential}:{request.headers.get('x-acs-signature-nonce', '')}"
        if nonce_key in self.nonces:
            raise Refusal("SignatureNonceUsed", "Specified signature nonce was used already.")
        self.nonces.put(nonce_key, True, ttl=2 * MAX_SKEW)

    def _initialize(self, p: Mapping[str, str], region: str) -> Response:
        for name in ("ProductCode", "MerchantBizId", "MerchantUserId", "MetaInfo"):
            if not p.get(name):
                raise _param("MissingParameter", name)
        product = p["ProductCode"]
        spec = plan(product)
        if spec is None or not spec.hosted:
            raise _param("InvalidParameter", "ProductCode")
        if region not in spec.regions:
            raise Refusal("InvalidParameter", f"The specified parameter ProductCode is invalid: {product} is "
                          f"offered in {region_names(spec.regions)}, not in {region}.")
        if not re.fullmatch(r"[A-Za-z0-9]{1,32}", p["MerchantBizId"]):
            raise _param("InvalidParameter", "MerchantBizId")
        try:
            meta = json.loads(p["MetaInfo"])
        except ValueError:
            meta = None
        if not isinstance(meta, dict):
            raise _param("InvalidParameter", "MetaInfo")
        doc_type = p.get("DocType") or None
        if spec.doc_table is not None:
            if doc_type is None:
                raise _param("MissingParameter", "DocType")
            if not accepts(spec.doc_table, doc_type, region, face_photo=product == "eKYC_PRO"):
                raise _param("InvalidParameter", "DocType")
        if spec.needs_face_picture:
            b64, url = p.get("FacePictureBase64"), p.get("FacePictureUrl")
            if b64 and url:
                raise Refusal("DataDuplication", "The image was passed both as Base64 and as a URL.")
            if not b64 and not url:
                raise _param("MissingParameter", "FacePictureBase64")
            if b64:
                try:
                    base64.b64decode(b64, validate=True)
                except (binascii.Error, ValueError):
                    raise _param("InvalidParameter", "FacePictureBase64") from None
        for name, schemes in (("CallbackUrl", ("https",)), ("ReturnUrl", ("http", "https"))):
            if p.get(name):
                parts = urlsplit(p[name])
                if parts.scheme not in schemes or not parts.netloc:
                    raise _param("InvalidParameter", name)
        tid = secrets.token_hex(16)
        page = self.token()
        txn = {
            "id": tid, "biz": p["MerchantBizId"], "user": p["MerchantUserId"], "product": product,
            "doc_type": doc_type, "return_url": p.get("ReturnUrl") or None,
            "callback_url": p.get("CallbackUrl") or None, "callback_token": p.get("CallbackToken") or None,
            "language": p.get("LanguageConfig"), "opened": False, "completed": False, "result": None,
            "error": None, "page": page,
        }
        self.open_session(tid, txn, reference=p["MerchantUserId"], link=page, ttl=RETENTION)
        url = f"{self.sandbox.base_url}/alibaba/verify/{page}"
        protocol = base64.b64encode(json.dumps({"transactionId": tid, "sandbox": True}).encode()).decode()
        return self.success({"TransactionId": tid, "TransactionUrl": url, "Protocol": protocol,
                             "ClientCfg": json.dumps({"sandbox": True})})

    def _check_result(self, p: Mapping[str, str]) -> Response:
        for name in ("MerchantBizId", "TransactionId"):
            if not p.get(name):
                raise _param("MissingParameter", name)
        for name in ("IsReturnImage", "ReturnFiveCategorySpoofResult"):
            if p.get(name) not in (None, "Y", "N"):
                raise _param("InvalidParameter", name)
        txn = self.session(p["TransactionId"])
        if txn["biz"] != p["MerchantBizId"]:
            raise self.unknown_session(p["TransactionId"])
        if txn["error"] is not None:
            code = txn["error"]
            headers = {"x-acs-retry-after": "1000"} if code.startswith("Throttling") else None
            entry = CODE_TABLE.get("api_error", code)
            raise Refusal(code, entry.message if entry else code, headers=headers)
        if not txn["completed"]:
            raise Refusal("ProcessNotCompleted", "The verification process is not completed.")
        return self.success(dict(txn["result"]))

    # -- rendering -------------------------------------------------------------------------------
    def _approved_ext(self, txn: Mapping[str, Any], expiry: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        ext_id = {"ocrIdInfo": ocr_info(txn["doc_type"], expiry), "ocrIdPassed": "Y",
                  "spoofInfo": {"spoofResult": "N", "spoofType": []}}
        ext_face = {"faceAttack": "N", "facePassed": "Y", "faceComparisonScore": 92.6, "faceQualityScore": 88.1,
                    "faceAge": 36, "faceGender": "F"}
        return ext_id, ext_face

    def _result(self, txn: Mapping[str, Any], passed: str, sub: str | None, ext_id: dict[str, Any] | None,
                ext_face: dict[str, Any] | None, ext_source: dict[str, Any] | None = None) -> dict[str, Any]:
        product = txn["product"]
        if product in FACE_ONLY:
            ext_id = None
        elif product in ID_ONLY:
            ext_face = None
        result: dict[str, Any] = {"Passed": passed}
        if sub is not None:
            result["SubCode"] = sub
        if ext_id is not None:
            result["ExtIdInfo"] = json.dumps(ext_id, ensure_ascii=False)
        if ext_face is not None:
            result["ExtFaceInfo"] = json.dumps(ext_face, ensure_ascii=False)
        result["ExtBasicInfo"] = "{}"
        result["ExtRiskInfo"] = "{}"
        result["ExtInfo"] = "{}"
        if ext_source is not None:
            result["ExtSourceInfo"] = json.dumps(ext_source)
        return result

    def render_scenario(self, txn: Mapping[str, Any], scenario: str) -> dict[str, Any]:
        """A catalog scenario as ``CheckResult.Result``."""
        ext_id, ext_face = self._approved_ext(txn)
        if scenario == "approved":
            return self._result(txn, "Y", PASS_SUBCODE, ext_id, ext_face)
        if scenario == "face_mismatch":
            ext_face.update(facePassed="N", faceComparisonScore=31.4)
            return self._result(txn, "N", FACE_MISMATCH_SUBCODE, ext_id, ext_face)
        if scenario == "liveness_spoof":
            face = {"faceAttack": "Y", "faceQualityScore": 71.0}
            return self._result(txn, "N", LIVENESS_SUBCODE, ext_id, face)
        if scenario == "document_tampered":
            ext_id["spoofInfo"] = {"spoofResult": "Y", "spoofType": ["TAMPER"]}
            return self._result(txn, "N", DOC_FAIL_SUBCODE, ext_id, None)
        if scenario == "document_unreadable":
            ext_id = {"ocrIdInfo": {}, "ocrIdPassed": "N", "spoofInfo": {"spoofResult": "N", "spoofType": []}}
            return self._result(txn, "N", DOC_FAIL_SUBCODE, ext_id, None)
        raise ValueError(f"unsupported scenario {scenario}")

    def render_code(self, txn: Mapping[str, Any], kind: str, code: str) -> tuple[dict[str, Any] | None,
                                                                                  str | None]:
        """One code of the table as ``(Result, None)`` or, for API errors, ``(None, error code)``."""
        if kind == "passed":
            if code == "Y":  # the documented success comes with SubCode 200 and clean evidence
                ext_id, ext_face = self._approved_ext(txn)
                return self._result(txn, "Y", PASS_SUBCODE, ext_id, ext_face), None
            return self._result(txn, code, None, None, None), None
        if kind == "subcode":
            if code == PASS_SUBCODE:
                ext_id, ext_face = self._approved_ext(txn)
                return self._result(txn, "Y", code, ext_id, ext_face), None
            return self._result(txn, "N", code, None, None), None
        if kind == "evidence":
            ext_id, ext_face = self._approved_ext(txn)
            where, key, value = _EVIDENCE[code]
            source: dict[str, Any] | None = dict(_SOURCE_OK) if where == "source" else None
            target = {"id": ext_id, "face": ext_face}.get(where, source)
            assert target is not None
            target[key] = value
            return self._result(txn, "Y", PASS_SUBCODE, ext_id, ext_face, source), None
        if kind == "api_error":
            if code == "Success":
                ext_id, ext_face = self._approved_ext(txn)
                return self._result(txn, "Y", PASS_SUBCODE, ext_id, ext_face), None
            return None, code
        raise ValueError(f"unknown kind {kind}")

    # -- the hosted page -------------------------------------------------------------------------
    async def hosted(self, request: Request) -> Response:
        """``GET`` opens the single-use page; ``POST`` (``scenario`` or ``code``/``kind``) completes the flow."""
        txn = self.linked_session(request.path_params["token"])
        label = f"TransactionId {txn['id']}"
        if request.method == "GET":
            if txn["opened"] or txn["completed"]:
                return self.page(title="Identity verification", session_label=label, action="", steps=["Done"],
                                 closed="This verification link has already been used. A TransactionUrl works "
                                        "once: start a new verification.")
            txn["opened"] = True
            self.store.put(txn["id"], txn, ttl=RETENTION)
            if txn["product"] in FACE_ONLY:
                steps = ["Face liveness", "Finish"]
            elif txn["product"] in ID_ONLY:
                steps = ["Scan document", "Finish"]
            else:
                steps = ["Scan document", "Face liveness", "Finish"]
            return self.page(title=f"Identity verification ({txn['product']})", session_label=label,
                             action=str(request.url.path), steps=steps,
                             note="Sandbox of Alibaba Cloud ID Verification: pick what happens.")
        if txn["completed"]:
            return self.page(title="Identity verification", session_label=label, action="", steps=["Done"],
                             closed="This verification is already completed.")
        form = await read_form(request)
        result: dict[str, Any] | None
        error: str | None = None
        if form.get("scenario"):
            name = form["scenario"]
            if not self.supports(name):
                why = self.unsupported.get(name, "unknown scenario")
                raise Refusal("BadChoice", f"Scenario not available: {why}", status=400)
            result = self.render_scenario(txn, name)
        elif form.get("code"):
            code = form["code"]
            kind = form.get("kind") or _kind_of(code)
            if kind is None or (kind == "evidence" and code not in _EVIDENCE):
                raise Refusal("BadChoice", "Unknown code", status=400)
            if kind == "api_error" and code == "ProcessNotCompleted":
                return _redirect_or_page(txn)  # the user left: CheckResult keeps answering 404
            result, error = self.render_code(txn, kind, code)
        else:
            raise Refusal("BadChoice", "Choose a scenario", status=400)
        txn.update(completed=True, result=result, error=error, opened=True)
        self.store.put(txn["id"], txn, ttl=RETENTION)
        if result is not None and txn["callback_url"]:
            self._callback(txn, result)
        return _redirect_or_page(txn)

    def _callback(self, txn: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        params = {"transactionId": txn["id"], "passed": result.get("Passed", ""),
                  "subCode": result.get("SubCode", "")}
        if txn["callback_token"]:
            params["callbackToken"] = txn["callback_token"]
        url = _append(txn["callback_url"], params)
        self.deliver(Delivery(self.name, "GET", url, {}, b"", session_id=txn["id"]))


def _param(code: str, name: str) -> Refusal:
    """``MissingParameter`` / ``InvalidParameter`` naming the parameter, in Alibaba's words."""
    return Refusal(code, _MESSAGES[code].format(name))


def _query(request: Request) -> dict[str, str]:
    """The request's query parameters (the last of a repeated name), as the signature covers them."""
    return dict(parse_qsl(request.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))


def _kind_of(code: str) -> str | None:
    for kind in ("subcode", "passed", "evidence", "api_error"):
        if CODE_TABLE.get(kind, code) is not None:
            return kind
    return "subcode" if re.fullmatch(r"\d{3}", code) else None


def _append(url: str, params: Mapping[str, str]) -> str:
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _redirect_or_page(txn: Mapping[str, Any]) -> Response:
    if txn["return_url"]:
        return RedirectResponse(_append(txn["return_url"], {"transactionId": txn["id"]}), status_code=303)
    return HTMLResponse("<!doctype html><p>Verification finished. You can close this page.</p>")

