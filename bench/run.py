"""ekyc performance benchmark: library cost on top of the network, as ratios measured in one run.

    python bench/run.py                      # full run (~2 min on 2 cores), writes docs/performance.md
    python bench/run.py --quick --output -   # tiny iteration counts, table on stdout

Every comparison is measured in the same process run, interleaved (the variants alternate block by
block, in a rotating order), after a warm-up, and reported as medians, so machine noise mostly cancels
out of the ratios. The sandbox is served by uvicorn in a separate process (``bench/_server.py``) over
real loopback HTTP, so its CPU never competes for the client's GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

import ekyc
from ekyc.models import Decision, SessionRef
from ekyc.provider import FollowUp, Prepared, Provider
from ekyc.sandbox.runner import scenario_request

ROOT = Path(__file__).resolve().parent.parent
IMAGE_BYTES = 100 * 1024


@dataclass(frozen=True)
class Sizes:
    """Iteration counts."""

    rounds: int  # interleaved rounds per comparison
    block: int  # calls per variant per round
    async_rounds: int
    async_calls: int  # calls per async batch (64 in flight)
    cold_runs: int
    norm_rounds: int
    norm_block: int


FULL = Sizes(rounds=21, block=40, async_rounds=9, async_calls=640, cold_runs=15, norm_rounds=15, norm_block=20)
QUICK = Sizes(rounds=2, block=3, async_rounds=2, async_calls=64, cold_runs=2, norm_rounds=2, norm_block=2)
CONCURRENCY = 64


@dataclass
class Row:
    """One line of the results table."""

    section: str
    name: str
    ours: float
    theirs: float
    unit: str
    baseline: str
    target: str  # e.g. "<= 1.10"
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.theirs if self.theirs else float("nan")

    @property
    def met(self) -> str:
        if not self.target:
            return "—"
        op, value = self.target.split()
        ok = self.ratio <= float(value) if op == "<=" else self.ratio >= float(value)
        return "yes" if ok else "**no**"


# --------------------------------------------------------------------------------------------------
# The server


@contextmanager
def served() -> Iterator[dict[str, Any]]:
    """The sandbox in a separate process; yields ``{"base_url", "config"}``."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "_server.py")], stdout=subprocess.PIPE,
                            text=True, cwd=str(ROOT))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the sandbox server did not start")
        info: dict[str, Any] = json.loads(line)
        deadline = time.monotonic() + 10
        while True:  # wait until uvicorn answers
            try:
                httpx.get(info["base_url"] + "/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield info
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()


def completed_sessions(client: ekyc.Client, scenario: str = "approved") -> dict[str, SessionRef]:
    """One finished session per emulated provider (every one the served sandbox has, i.e. every registered
    provider with an emulator): created through ekyc, completed on the hosted page over HTTP."""
    refs: dict[str, SessionRef] = {}
    with httpx.Client(follow_redirects=False, timeout=10) as http:
        for name in client.providers:
            session = client.create_session(scenario_request(name, scenario), provider=name)
            page = http.get(session.url)
            page.raise_for_status()
            done = http.post(session.url, data={"scenario": scenario})
            if done.status_code != 303:
                raise RuntimeError(f"{name}: the hosted page answered {done.status_code}")
            refs[name] = session.ref
    return refs


# --------------------------------------------------------------------------------------------------
# Timing helpers


def interleaved(variants: dict[str, Callable[[], object]], rounds: int, block: int) -> dict[str, float]:
    """Median seconds per call of each variant; blocks alternate in a rotating order after a warm-up."""
    names = list(variants)
    for name in names:  # warm-up
        for _ in range(max(2, block // 2)):
            variants[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn = variants[name]
            gc.collect()
            t0 = time.perf_counter()
            for _ in range(block):
                fn()
            samples[name].append((time.perf_counter() - t0) / block)
    return {n: statistics.median(v) for n, v in samples.items()}


# --------------------------------------------------------------------------------------------------
# 1. per call, sync, and the official SDKs


def raw_result(http: httpx.Client, adapter: Provider, ref: SessionRef) -> Callable[[], object]:
    """Raw httpx: the identical signed request (built fresh per call), then ``json.loads``."""
    def call() -> object:
        response = http.send(adapter.build_result(ref).request)
        response.raise_for_status()
        return json.loads(response.content)
    return call


def tencent_sdk(settings: dict[str, Any], netloc: str, ref: SessionRef) -> Callable[[], object] | None:
    try:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.faceid.v20180301 import faceid_client, models
    except ImportError:
        return None
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=netloc, protocol="http", keepAlive=True))
    sdk = faceid_client.FaceidClient(credential.Credential(settings["secret_id"], settings["secret_key"]),
                                     settings["region"], profile)

    def call() -> object:
        req = models.GetWebVerificationResultIntlRequest()
        req.BizToken = ref.id
        return sdk.GetWebVerificationResultIntl(req)
    return call


def alibaba_sdk(settings: dict[str, Any], netloc: str, ref: SessionRef) -> Callable[[], object] | None:
    try:
        from alibabacloud_cloudauth_intl20220809 import models
        from alibabacloud_cloudauth_intl20220809.client import Client as SdkClient
        from alibabacloud_tea_openapi.models import Config
    except ImportError:
        return None
    sdk = SdkClient(Config(endpoint=netloc, protocol="http", access_key_id=settings["access_key_id"],
                           access_key_secret=settings["access_key_secret"]))

    def call() -> object:
        return sdk.check_result(models.CheckResultRequest(merchant_biz_id=ref.extra[0], transaction_id=ref.id))
    return call


def bench_sync(info: dict[str, Any], config: dict[str, Any], refs: dict[str, SessionRef], sizes: Sizes,
               rows: list[Row]) -> None:
    netloc = urlsplit(info["base_url"]).netloc
    with ekyc.Client.from_config(config) as client, httpx.Client(timeout=client.settings.timeout) as http:
        for name, ref in refs.items():
            variants: dict[str, Callable[[], object]] = {
                "ekyc": lambda ref=ref: client.get_result(ref),  # type: ignore[misc]
                "raw": raw_result(http, client.adapter(name), ref),
            }
            sdk_name, make_sdk = OFFICIAL_SDKS.get(name, ("", None))
            sdk = make_sdk(config["providers"][name], netloc, ref) if make_sdk is not None else None
            if sdk is not None:
                variants["sdk"] = sdk
            med = interleaved(variants, sizes.rounds, sizes.block)
            rows.append(Row("per call (sync)", f"{name}: `Client.get_result` vs raw `httpx.Client`",
                            med["ekyc"] * 1e6, med["raw"] * 1e6, "µs", "raw httpx", "<= 1.10"))
            if "sdk" in med:
                rows.append(Row("official SDK", f"{name}: `Client.get_result` vs `{sdk_name}`",
                                med["ekyc"] * 1e6, med["sdk"] * 1e6, "µs", "official SDK", "<= 1.00"))


# --------------------------------------------------------------------------------------------------
# 2. async throughput at 64 in flight


async def _batch(fn: Callable[[], Any], calls: int) -> float:
    """Seconds for ``calls`` calls with CONCURRENCY workers."""
    per = calls // CONCURRENCY or 1

    async def worker() -> None:
        for _ in range(per):
            await fn()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(CONCURRENCY, calls))))
    return time.perf_counter() - t0


async def _bench_async(config: dict[str, Any], refs: dict[str, SessionRef], sizes: Sizes,
                       rows: list[Row]) -> None:
    async with ekyc.AsyncClient.from_config(config) as client, \
            httpx.AsyncClient(timeout=client.settings.timeout) as http:
        for name, ref in refs.items():
            adapter = client.adapter(name)

            async def ours(ref: SessionRef = ref) -> object:
                return await client.get_result(ref)

            async def raw(adapter: Provider = adapter, ref: SessionRef = ref) -> object:
                response = await http.send(adapter.build_result(ref).request)
                response.raise_for_status()
                return json.loads(response.content)

            variants = {"ekyc": ours, "raw": raw}
            calls = max(sizes.async_calls, CONCURRENCY)
            for fn in variants.values():  # warm-up: opens the pool's connections
                await _batch(fn, CONCURRENCY * 2)
            samples: dict[str, list[float]] = {k: [] for k in variants}
            for r in range(sizes.async_rounds):
                for key in (("ekyc", "raw") if r % 2 == 0 else ("raw", "ekyc")):
                    gc.collect()
                    elapsed = await _batch(variants[key], calls)
                    samples[key].append((calls // CONCURRENCY) * CONCURRENCY / elapsed)
            ours_tp, raw_tp = statistics.median(samples["ekyc"]), statistics.median(samples["raw"])
            rows.append(Row("async throughput", f"{name}: `AsyncClient` vs raw `httpx.AsyncClient`, "
                            f"{CONCURRENCY} in flight", ours_tp, raw_tp, "calls/s", "raw httpx", ">= 0.90"))


# --------------------------------------------------------------------------------------------------
# 3. cold start


COLD_BASE = "import httpx, pydantic"
#: what any pydantic-based client pays: the real pydantic import (``import pydantic`` alone is lazy) plus
#: one settings model with a secret, validated
COLD_MODEL = (
    "import httpx\n"
    "from pydantic import BaseModel, ConfigDict, Field, SecretStr\n"
    "class S(BaseModel):\n"
    "    model_config = ConfigDict(frozen=True)\n"
    "    key: SecretStr\n"
    "    timeout: float = Field(default=15.0, gt=0)\n"
    "S(key='k')"
)
COLD_EKYC = (
    "import ekyc\n"
    "ekyc.Client.from_config({{'env': 'production', 'providers': {{'tencent': {{"
    "'secret_id': 'AKIDbench', 'secret_key': 'bench-secret', 'region': 'ap-singapore'}}}}}})"
)


def cold_start(sizes: Sizes, rows: list[Row]) -> None:
    snippets = {"ekyc": COLD_EKYC.format(), "base": COLD_BASE, "model": COLD_MODEL, "empty": "pass"}
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "_cold.py"), str(sizes.cold_runs),
                           json.dumps(snippets)], check=True, capture_output=True, text=True)
    data = json.loads(done.stdout)
    wall = {k: v["wall"] for k, v in data.items()}
    rss = {k: v["rss"] for k, v in data.items()}
    med = {k: statistics.median(v) * 1000 for k, v in wall.items()}
    mem = {k: statistics.median(v) for k, v in rss.items()}
    rows.append(Row("cold start", "`import ekyc` + `Client.from_config(...)` vs `import httpx, pydantic`: wall",
                    med["ekyc"], med["base"], "ms", "import httpx, pydantic", "<= 1.10",
                    f"bare interpreter {med['empty']:.0f} ms"))
    rows.append(Row("cold start", "same vs `import httpx` + one pydantic model with a `SecretStr` (reference)",
                    med["ekyc"], med["model"], "ms", "httpx + pydantic model", "", "informational"))
    rows.append(Row("cold start", "same: peak RSS", mem["ekyc"], mem["base"], "MiB",
                    "import httpx, pydantic", "<= 1.10", f"bare interpreter {mem['empty']:.1f} MiB"))


# --------------------------------------------------------------------------------------------------
# 4. normalization of large payloads


def _image() -> str:
    return base64.b64encode(os.urandom(IMAGE_BYTES * 3 // 4)).decode()


def _inflate_didit(data: dict[str, Any]) -> dict[str, Any]:
    # Didit v3 returns media as presigned URLs; big responses come from attempts and warnings
    url = "https://service-didit-verification.s3.amazonaws.com/" + "a" * 40 + "/portrait.jpg?" + \
        "&".join(f"X-Amz-{k}={'b' * 120}" for k in ("Credential", "Signature", "Security-Token", "Date"))
    ocr = data["id_verifications"][0]
    for key in ("portrait_image", "front_image", "back_image", "full_front_image", "full_back_image"):
        ocr[key] = url
    warnings = [{"risk": f"INFO_SIGNAL_{i}", "short_description": "Information signal " * 3,
                 "long_description": "A detailed explanation of an informational signal. " * 6,
                 "log_type": "information", "feature": "ID_VERIFICATION"} for i in range(40)]
    ocr["warnings"] = warnings
    ocr["extra_fields"] = {f"field_{i}": "value " * 8 for i in range(30)}
    for key in ("liveness_checks", "face_matches"):
        first = data[key][0]
        for k in ("reference_image", "video_url", "source_image", "target_image"):
            if k in first:
                first[k] = url
        first["warnings"] = warnings[:20]
    data["reviews"] = [{"user": "reviewer@example.com", "new_status": "Approved", "comment": "ok " * 30,
                        "created_at": data["created_at"]} for _ in range(5)]
    data["ip_analyses"] = [{"ip_address": "203.0.113.7", "ip_country": "United Kingdom",
                            "device_brand": "Apple", "browser_family": "Mobile Safari",
                            "warnings": warnings[:10]}]
    return data


def _inflate_tencent(data: dict[str, Any]) -> dict[str, Any]:
    resp = data["Response"]
    last = resp["VerificationDetailList"][-1]
    failed = {**last, "ErrorCode": 2013, "ErrorMsg": "No face detected", "LivenessErrorCode": 2013,
              "CompareErrorCode": None, "Similarity": None}
    resp["VerificationDetailList"] = [dict(failed, Seq=f"{i:08d}-retry") for i in range(4)] + [last]
    resp["BestFrameBase64"] = _image()
    for ocr in resp["OCRResult"]:
        ocr["CardImageBase64"] = _image()
    resp["OCRResult"] = [copy.deepcopy(resp["OCRResult"][0]) for _ in range(3)]
    resp["VideoBase64"] = None
    return data


def _inflate_alibaba(data: dict[str, Any]) -> dict[str, Any]:
    result = data["Result"]
    face = json.loads(result["ExtFaceInfo"])
    face["faceImg"] = _image()
    ident = json.loads(result["ExtIdInfo"])
    ident["certImg"] = _image()
    ident["certBackImg"] = _image()
    ident["spoofInfo"]["spoofType"] = []
    ident["ocrIdEditInfo"] = dict(ident["ocrIdInfo"])
    result["ExtFaceInfo"] = json.dumps(face)
    result["ExtIdInfo"] = json.dumps(ident)
    result["ExtBasicInfo"] = json.dumps({"certType": "PASSPORT", "deviceRisk": {"tags": ["ROOT"] * 0},
                                         "riskTags": [f"TAG_{i}" for i in range(30)]})
    result["ExtRiskInfo"] = json.dumps({"deviceRiskScore": 0, "detail": "x" * 2048})
    return data


#: optional, per provider: a large payload of its real shape (images, several attempts, many warnings);
#: a provider without one is measured on its payload as returned
INFLATE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "didit": _inflate_didit, "tencent": _inflate_tencent, "alibaba": _inflate_alibaba,
}
#: optional, per provider: its official SDK (distribution name, factory of one ``get result`` call)
OFFICIAL_SDKS: dict[str, tuple[str, Callable[[dict[str, Any], str, SessionRef], Callable[[], object] | None]]] = {
    "tencent": ("tencentcloud-sdk-python-intl-en", tencent_sdk),
    "alibaba": ("alibabacloud-cloudauth-intl20220809", alibaba_sdk),
}


def inflate(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """A large payload of ``name``'s real shape (a copy), or the payload as returned when it has no inflater."""
    grow = INFLATE.get(name)
    return grow(copy.deepcopy(data)) if grow is not None else data


def normalization(client: ekyc.Client, refs: dict[str, SessionRef], sizes: Sizes, rows: list[Row]) -> None:
    for name, ref in refs.items():
        adapter = client.adapter(name)
        prepared: Prepared = adapter.build_result(ref)
        real = client._http.send(prepared.request)
        real.raise_for_status()
        body = json.dumps(inflate(name, json.loads(real.content))).encode()
        response = httpx.Response(200, content=body, headers={"content-type": "application/json"},
                                  request=prepared.request)
        # a result that takes several requests (FollowUp: Onfido's run, then its check and reports) is parsed
        # whole: the follow-up answers are fetched once and replayed in every round
        follow: list[tuple[Prepared, httpx.Response]] = []
        decision = adapter.parse_result(prepared, response)
        while isinstance(decision, FollowUp):
            step = decision.build()
            answer = client._http.send(step.request)
            answer.read()
            follow.append((step, answer))
            decision = decision.parse(step, answer)
        if not isinstance(decision, Decision):  # pragma: no cover
            raise RuntimeError(f"{name}: no decision")

        def parse(a: Any = adapter, p: Prepared = prepared, r: httpx.Response = response,
                  rest: list[tuple[Prepared, httpx.Response]] = follow) -> Any:
            result = a.parse_result(p, r)
            for step, answer in rest:
                result = result.parse(step, answer)
            return result

        med = interleaved({"ekyc": parse, "json": lambda b=body: json.loads(b)}, sizes.norm_rounds, sizes.norm_block)
        rows.append(Row("normalization", f"{name}: `parse_result` → `Decision` vs `json.loads` "
                        f"({len(body) // 1024} KiB, {decision.outcome.value})", med["ekyc"] * 1e6,
                        med["json"] * 1e6, "µs", "json.loads", "", "informational"))


# --------------------------------------------------------------------------------------------------
# Report


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = []
    for dist in ("ekyc-bridge", "httpx", "httpcore", "pydantic", "pydantic-core", "uvicorn", "starlette",
                 "tencentcloud-sdk-python-intl-en", "alibabacloud-cloudauth-intl20220809",
                 "alibabacloud-tea-openapi", "requests"):
        try:
            packages.append(f"{dist} {version(dist)}")
        except Exception:
            continue
    return [
        f"- CPU: {cpu}, {os.cpu_count()} logical cores",
        f"- Python: {platform.python_implementation()} {platform.python_version()}",
        f"- OS: {platform.system()} {platform.release()} ({platform.machine()})",
        f"- Packages: {', '.join(packages)}",
    ]


def fmt(value: float, unit: str) -> str:
    if unit == "calls/s":
        return f"{value:,.0f} {unit}"
    if unit == "MiB":
        return f"{value:.1f} {unit}"
    return f"{value:,.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


def table(rows: list[Row]) -> str:
    out = ["| Section | Measurement | ekyc | Baseline | Ratio | Target | Met |",
           "|---|---|---:|---:|---:|---:|:---:|"]
    for r in rows:
        target = r.target.replace("<=", "≤").replace(">=", "≥") if r.target else "—"
        base = fmt(r.theirs, r.unit) + (f" ({r.note})" if r.note and r.note != "informational" else "")
        out.append(f"| {r.section} | {r.name} | {fmt(r.ours, r.unit)} | {base} | {r.ratio:.3f}× | {target} | "
                   f"{r.met} |")
    return "\n".join(out)


def render(rows: list[Row], quick: bool, seconds: float) -> str:
    template = (ROOT / "bench" / "TEMPLATE.md").read_text(encoding="utf-8")
    return template.format(
        table=table(rows),
        machine="\n".join(machine()),
        date=time.strftime("%Y-%m-%d"),
        mode="quick (smoke-test counts, not meaningful)" if quick else "full",
        seconds=f"{seconds:.0f}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny iteration counts (smoke test)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"),
                        help="where to write the report ('-' prints it)")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    rows: list[Row] = []

    def step(what: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.1f}s] {what}", file=sys.stderr, flush=True)

    with served() as info:
        config = {"env": "production", **info["config"]}
        with ekyc.Client.from_config(config) as client:
            refs = completed_sessions(client)
            step("per call (sync) and official SDKs")
            bench_sync(info, config, refs, sizes, rows)
            step("async throughput")
            asyncio.run(_bench_async(config, refs, sizes, rows))
            step("normalization")
            normalization(client, refs, sizes, rows)
    step("cold start")
    cold_start(sizes, rows)
    step("done")
    report = render(rows, args.quick, time.perf_counter() - started)
    if args.output == "-":
        sys.stdout.write(report)
    else:
        Path(args.output).write_text(report, encoding="utf-8")
        print(table(rows))
        print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
