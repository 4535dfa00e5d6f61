"""ekyc performance benchmark: what the library costs on top of the network, each figure next to its noise.

    python bench/run.py                                  # full run, writes docs/performance.md
    python bench/run.py --quick --output -               # tiny iteration counts (CI smoke test), table on stdout
    python bench/run.py --cold-venv /tmp/ekyc-cold       # cold start in a venv with only the runtime dependencies

Every section carries an **A/A control** — the baseline measured against itself in the same way — whose
spread is the noise floor printed next to each result; a target is "met" only when the result clears it by
more than that noise. Sections:

1. per-call CPU, in process (``bench/_cpu.py``): ``get_result`` against a raw httpx exchange of the identical
   requests through ``httpx.MockTransport``, CPU time, sync and async: the overhead in µs per call;
2. async throughput over loopback, ``CONCURRENCY`` calls in flight, every pool limited to that many
   connections, against a replay server (``bench/_replay.py``: recorded answers, so the client is the limit);
3. per call over loopback, sync: wall time and client CPU against raw httpx and each official SDK installed;
4. normalization of large payloads (informational);
5. cold start: a fresh interpreter importing, building a client from configuration and making one call.

Sections 3-5 use the sandbox served by uvicorn in a separate process (``bench/_server.py``), so its CPU never
competes for the client's GIL.
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
import socket
import statistics
import subprocess
import sys
import tempfile
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _cpu  # the in-process section, next to this file
import _replay  # the async section's server

ROOT = Path(__file__).resolve().parent.parent
IMAGE_BYTES = 100 * 1024
#: async calls in flight, and the connection limit of both pools (ekyc's and raw httpx's)
CONCURRENCY = 8
#: seconds an idle pooled connection is kept alive in the async section (every pool)
KEEPALIVE = 60.0
#: the per-call CPU overhead target, µs over raw httpx
CPU_TARGET = 40.0


@dataclass(frozen=True)
class Sizes:
    """Iteration counts."""

    cpu_rounds: int
    cpu_block: int
    rounds: int  # interleaved rounds per loopback comparison
    block: int  # calls per variant per round
    async_rounds: int
    async_calls: int  # per variant per round
    async_part: int  # calls per turn (variants alternate turn by turn)
    cold_runs: int
    norm_rounds: int
    norm_block: int


FULL = Sizes(cpu_rounds=15, cpu_block=150, rounds=15, block=30, async_rounds=7, async_calls=512, async_part=32,
             cold_runs=12, norm_rounds=11, norm_block=20)
QUICK = Sizes(cpu_rounds=2, cpu_block=3, rounds=2, block=3, async_rounds=2, async_calls=16, async_part=8,
              cold_runs=2, norm_rounds=2, norm_block=2)


#: the widest A/A noise (ratio) under which a ratio that clears its target counts as met
AA_CEILING = 0.05
UNRESOLVED = "clears, but A/A > ±5 %"


@dataclass
class Row:
    """One line of the results table.

    ``kind`` ``"ratio"``: the result is ``ours / theirs`` and ``noise`` the A/A's relative spread (0.03 = ±3 %);
    ``"diff"``: the result is ``ours - theirs`` (given as ``value``) and ``noise`` in the same unit.
    ``target`` is ``"<= 1.10"``, ``">= 0.95"``, ``"< 1.00"`` or empty (informational).
    """

    section: str
    name: str
    ours: float
    theirs: float
    unit: str
    target: str = ""
    noise: float | None = None
    kind: str = "ratio"
    value: float | None = None
    note: str = ""

    @property
    def result(self) -> float:
        if self.value is not None:
            return self.value
        if self.kind == "diff":
            return self.ours - self.theirs
        return self.ours / self.theirs if self.theirs else float("nan")

    @property
    def met(self) -> str:
        if not self.target:
            return "—"
        op, raw = self.target.split()
        goal, r, n = float(raw), self.result, self.noise or 0.0
        if op in ("<=", "<"):
            clears, misses = r + n < goal if op == "<" else r + n <= goal, r - n > goal
        else:
            clears, misses = r - n >= goal, r + n < goal
        if clears:
            # issue 15's acceptance counts a run only with its A/A inside ±5 %: a ratio that clears a wider noise
            # is shown, but not counted as met (the spread counts plain "yes" only)
            return "yes" if self.kind != "ratio" or n <= AA_CEILING else UNRESOLVED
        return "**no**" if misses else "no (within noise)"


# --------------------------------------------------------------------------------------------------
# The server


@contextmanager
def served() -> Iterator[dict[str, Any]]:
    """The sandbox in a separate process; yields ``{"base_url", "config", "hints"}``."""
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
        _stop(proc)


def _stop(proc: subprocess.Popen[Any]) -> None:
    """End a server process: terminate, then kill if it has not exited within 5 s."""
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


def follow_ups(config: dict[str, Any], refs: dict[str, SessionRef]) -> dict[str, list[tuple[str, str, Any, bytes]]]:
    """The requests after the first one that each ``get_result`` sends (Onfido: checks, reports), as sent."""
    sent: list[tuple[str, str, Any, bytes]] = []

    class Recorder(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            sent.append((request.method, str(request.url), list(request.headers.multi_items()), request.read()))
            return super().handle_request(request)

    out = {}
    with ekyc.Client.from_config(config, transport=Recorder()) as client:
        for name, ref in refs.items():
            sent.clear()
            client.get_result(ref)
            out[name] = list(sent[1:])
    return out


# --------------------------------------------------------------------------------------------------
# Timing helpers


def _noise(ratios: list[float]) -> float:
    """An A/A control's relative noise: the larger of its median's distance from 1 and half its IQR."""
    if len(ratios) < 2:
        return abs(ratios[0] - 1) if ratios else 0.0
    q = statistics.quantiles(ratios, n=4)
    return max(abs(statistics.median(ratios) - 1), (q[2] - q[0]) / 2)


def interleaved(variants: dict[str, Callable[[], object]], rounds: int, block: int
                ) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Per-round seconds per call of each variant, wall and CPU; blocks alternate in a rotating order."""
    names = list(variants)
    for name in names:  # warm-up
        for _ in range(max(2, block // 2)):
            variants[name]()
    wall: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            fn = variants[name]
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            for _ in range(block):
                fn()
            wall[name].append((time.perf_counter() - t0) / block)
            cpu[name].append((time.process_time() - c0) / block)
    return wall, cpu


def per_round(samples: dict[str, list[float]], a: str, b: str) -> list[float]:
    return [x / y for x, y in zip(samples[a], samples[b], strict=True)]


# --------------------------------------------------------------------------------------------------
# 1. per-call CPU, in process


def bench_cpu(sizes: Sizes, rows: list[Row]) -> None:
    rec = _cpu.record()
    results = _cpu.sync_overheads(rec, sizes.cpu_rounds, sizes.cpu_block)
    results += _cpu.async_overheads(rec, sizes.cpu_rounds, sizes.cpu_block)
    for o in results:
        rows.append(Row("per-call CPU (in process)", f"{o.provider}: `get_result` {o.mode} vs raw httpx "
                        "(MockTransport)", o.ours, o.raw, "µs", f"<= {CPU_TARGET:.0f}", o.noise, "diff", o.overhead,
                        f"IQR {o.spread[0]:+.1f}…{o.spread[1]:+.1f} µs"))


# --------------------------------------------------------------------------------------------------
# 3. per call over loopback, sync, and the official SDKs


def raw_result(http: httpx.Client, adapter: Provider, ref: SessionRef,
               rest: list[tuple[str, str, Any, bytes]]) -> Callable[[], object]:
    """Raw httpx: the identical signed request (built fresh per call), the follow-ups as sent, ``json.loads``."""
    def call() -> object:
        data = []
        for request in [adapter.build_result(ref).request,
                        *(httpx.Request(m, u, headers=h, content=c or None) for m, u, h, c in rest)]:
            response = http.send(request)
            response.raise_for_status()
            data.append(json.loads(response.content))
        return data
    return call


def tencent_sdk(config: dict[str, Any], info: dict[str, Any], ref: SessionRef) -> Callable[[], object] | None:
    try:
        from tencentcloud.common import credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.faceid.v20180301 import faceid_client, models
    except ImportError:
        return None
    settings = config["providers"]["tencent"]
    netloc = urlsplit(info["base_url"]).netloc
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=netloc, protocol="http", keepAlive=True))
    sdk = faceid_client.FaceidClient(credential.Credential(settings["secret_id"], settings["secret_key"]),
                                     settings["region"], profile)

    def call() -> object:
        req = models.GetWebVerificationResultIntlRequest()
        req.BizToken = ref.id
        return sdk.GetWebVerificationResultIntl(req)
    return call


def alibaba_sdk(config: dict[str, Any], info: dict[str, Any], ref: SessionRef) -> Callable[[], object] | None:
    try:
        from alibabacloud_cloudauth_intl20220809 import models
        from alibabacloud_cloudauth_intl20220809.client import Client as SdkClient
        from alibabacloud_tea_openapi.models import Config
    except ImportError:
        return None
    settings = config["providers"]["alibaba"]
    sdk = SdkClient(Config(endpoint=urlsplit(info["base_url"]).netloc, protocol="http",
                           access_key_id=settings["access_key_id"], access_key_secret=settings["access_key_secret"]))

    def call() -> object:
        return sdk.check_result(models.CheckResultRequest(merchant_biz_id=ref.extra[0], transaction_id=ref.id))
    return call


def stripe_sdk(config: dict[str, Any], info: dict[str, Any], ref: SessionRef) -> Callable[[], object] | None:
    try:
        import stripe
    except ImportError:
        return None
    from ekyc.providers.stripe.adapter import EXPAND, SENSITIVE_EXPAND

    key = config["providers"]["stripe"]["api_key"]
    sdk = stripe.StripeClient(key, base_addresses={"api": info["base_url"]})
    expand = [*EXPAND, *(SENSITIVE_EXPAND if key.startswith("rk_") else ())]

    def call() -> object:
        return sdk.v1.identity.verification_sessions.retrieve(ref.id, params={"expand": expand})
    return call


def onfido_sdk(config: dict[str, Any], info: dict[str, Any], ref: SessionRef) -> Callable[[], object] | None:
    try:
        import onfido
    except ImportError:
        return None
    hints = info["hints"]["onfido"]
    api = onfido.DefaultApi(onfido.ApiClient(onfido.Configuration(api_token=hints["ONFIDO_API_TOKEN"],
                                                                  host=hints["ONFIDO_BASE_PATH"])))
    applicant, run = ref.id, ref.extra[0]

    def call() -> object:  # what ekyc's get_result reads: the run, the applicant's checks, each check's reports
        out: list[object] = [api.find_workflow_run(run)]
        for check in api.list_checks(applicant).checks:
            out.append(api.list_reports(check.id))
        return out
    return call


#: optional, per provider: its official SDK (distribution name, factory of one "get result" call)
OFFICIAL_SDKS: dict[str, tuple[str, Callable[[dict[str, Any], dict[str, Any], SessionRef],
                                             Callable[[], object] | None]]] = {
    "tencent": ("tencentcloud-sdk-python-intl-en", tencent_sdk),
    "alibaba": ("alibabacloud-cloudauth-intl20220809", alibaba_sdk),
    "stripe": ("stripe", stripe_sdk),
    "onfido": ("onfido-python", onfido_sdk),
}


def bench_sync(info: dict[str, Any], config: dict[str, Any], refs: dict[str, SessionRef], sizes: Sizes,
               rows: list[Row]) -> None:
    rest = follow_ups(config, refs)
    with ekyc.Client.from_config(config) as client, httpx.Client(timeout=client.settings.timeout) as http, \
            httpx.Client(timeout=client.settings.timeout) as http2:
        for name, ref in refs.items():
            adapter = client.adapter(name)
            variants: dict[str, Callable[[], object]] = {
                "ekyc": lambda ref=ref: client.get_result(ref),  # type: ignore[misc]
                "raw": raw_result(http, adapter, ref, rest[name]),
                "raw2": raw_result(http2, adapter, ref, rest[name]),  # A/A: a second, identical raw client
            }
            sdk_name, make_sdk = OFFICIAL_SDKS.get(name, ("", None))
            sdk = None
            if make_sdk is not None:
                try:
                    sdk = make_sdk(config, info, ref)
                    if sdk is not None:
                        sdk()
                except Exception as exc:  # an SDK that cannot talk to the sandbox: say so, skip its row
                    print(f"[bench] {sdk_name} skipped: {type(exc).__name__}", file=sys.stderr)
                    sdk = None
            if sdk is not None:
                variants["sdk"] = sdk
            wall, cpu = interleaved(variants, sizes.rounds, sizes.block)
            med = {k: statistics.median(v) * 1e6 for k, v in wall.items()}
            cmed = {k: statistics.median(v) * 1e6 for k, v in cpu.items()}
            aa_wall, aa_cpu = _noise(per_round(wall, "raw2", "raw")), _noise(per_round(cpu, "raw2", "raw"))
            rows.append(Row("per call (loopback, sync)", f"{name}: `Client.get_result` vs raw `httpx.Client`: wall",
                            med["ekyc"], med["raw"], "µs", "<= 1.10", aa_wall,
                            value=statistics.median(per_round(wall, "ekyc", "raw"))))
            if "sdk" in med:
                rows.append(Row("official SDK (loopback)", f"{name}: `Client.get_result` vs `{sdk_name}`: "
                                "client CPU", cmed["ekyc"], cmed["sdk"], "µs", "< 1.00", aa_cpu,
                                value=statistics.median(per_round(cpu, "ekyc", "sdk"))))
                rows.append(Row("official SDK (loopback)", f"{name}: same, wall", med["ekyc"], med["sdk"], "µs",
                                "< 1.00", aa_wall, value=statistics.median(per_round(wall, "ekyc", "sdk"))))


# --------------------------------------------------------------------------------------------------
# 2. async throughput, against the replay server


@contextmanager
def replayed() -> Iterator[tuple[_cpu.Recording, str]]:
    """One ``get_result`` per provider recorded from the in-process sandbox, its answers then served by
    ``bench/_replay.py`` in another process over loopback; yields the recording (its ``config`` and ``refs``
    point at the replay server) and the server's address. The listening socket is bound here first, so the
    sandbox records its answers already carrying the address they are replayed at, and the server inherits it
    (no start-up race)."""
    listener = socket.create_server(("127.0.0.1", 0))
    with listener, tempfile.TemporaryDirectory() as tmp:
        host, port = listener.getsockname()[:2]
        address = f"http://{host}:{port}"
        rec = _cpu.record(base_url=address)
        answers = Path(tmp) / "answers.json"
        _replay.dump(rec.responses, answers)
        proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "_replay.py"), str(answers),
                                 "--fd", str(listener.fileno())], pass_fds=[listener.fileno()], cwd=str(ROOT))
        try:
            _answering(proc, address)
            yield rec, address
        finally:
            _stop(proc)


def _answering(proc: subprocess.Popen[bytes], address: str) -> None:
    """Wait until the replay server answers (a connection waits in the listening socket's queue meanwhile)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(address + _replay.STATS_PATH, timeout=1).raise_for_status()
            return
        except httpx.TimeoutException:
            if proc.poll() is not None:
                raise RuntimeError(f"the replay server exited ({proc.returncode})") from None
            if time.monotonic() > deadline:
                raise


async def _batch(fn: Callable[[], Any], calls: int) -> tuple[float, float]:
    """Wall seconds and this process's CPU seconds for ``calls`` calls with ``CONCURRENCY`` workers (the server
    runs in another process, so the CPU is the client's: event loop, pool, ekyc or raw code).

    Each worker takes the next call while any is left (one shared count, as a pool of workers drains a queue),
    so ``CONCURRENCY`` calls stay in flight until the last few of the batch. A fixed share per worker instead
    (``calls // CONCURRENCY`` each, then the gather) left the workers that finished first idle while the others
    made their last calls: with turns of 32 calls, 4 per worker, much of each turn was ramp-up and drain — about
    1.8 event-loop iterations per call against 1.2 with the shared count, for every client alike."""
    left = calls

    async def worker() -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await fn()
    t0, c0 = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - t0, time.process_time() - c0


def _raw_async(http: httpx.AsyncClient, build: Callable[[], list[httpx.Request]]) -> Callable[[], Any]:
    """Raw httpx: the identical signed request and follow-ups as ``bench/_cpu.py``'s raw side, ``json.loads``."""
    async def call() -> object:
        data = []
        for request in build():
            response = await http.send(request)
            response.raise_for_status()
            data.append(json.loads(response.content))
        return data
    return call


async def _server(stats: httpx.AsyncClient) -> dict[str, float]:
    """The replay server's counters: connections accepted, requests answered, its CPU seconds so far."""
    response = await stats.get(_replay.STATS_PATH)
    response.raise_for_status()
    counters: dict[str, float] = response.json()
    return counters


async def _round(variants: dict[str, Callable[[], Any]], calls: int, part: int
                 ) -> tuple[dict[str, float], dict[str, float]]:
    """One round: the variants take turns, ``part`` calls at a time in a rotating order, until each made
    ``calls``; wall and CPU seconds summed per variant. Turns this short put every variant under the same
    moment-to-moment load of a shared machine, which a batch per variant per round does not."""
    wall, cpu = dict.fromkeys(variants, 0.0), dict.fromkeys(variants, 0.0)
    keys = list(variants)
    for turn in range(max(1, calls // part)):
        for key in keys[turn % len(keys):] + keys[:turn % len(keys)]:
            elapsed, spent = await _batch(variants[key], part)
            wall[key] += elapsed
            cpu[key] += spent
    return wall, cpu


async def _bench_async(rec: _cpu.Recording, address: str, sizes: Sizes, rows: list[Row]) -> None:
    # one Limits for every pool; connections kept alive through the run (with httpx's default 5 s expiry a
    # pool's least-used connection expired now and then between turns, and its reconnect landed on one side)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY,
                          keepalive_expiry=KEEPALIVE)
    timeout = ekyc.Settings.load(rec.config).timeout
    # ekyc builds its own pool, as by default, on a transport with the same limits as the raw clients' pools
    async with ekyc.AsyncClient.from_config(rec.config, transport=httpx.AsyncHTTPTransport(limits=limits)) as client, \
            httpx.AsyncClient(limits=limits, timeout=timeout) as http, \
            httpx.AsyncClient(limits=limits, timeout=timeout) as http2, \
            httpx.AsyncClient(base_url=address, timeout=timeout,
                              limits=httpx.Limits(max_connections=1, keepalive_expiry=None)) as stats:
        for name, ref in rec.refs.items():
            build = _cpu._raw_requests(rec, name, client.adapter(name), ref)

            async def ours(ref: SessionRef = ref) -> object:
                return await client.get_result(ref)

            variants = {"ekyc": ours, "raw": _raw_async(http, build), "raw2": _raw_async(http2, build)}
            part = max(sizes.async_part, CONCURRENCY)
            for fn in variants.values():  # warm-up: opens each pool's connections
                await _batch(fn, CONCURRENCY * 2)
            before = await _server(stats)
            done = max(1, sizes.async_calls // part) * part
            samples: dict[str, list[float]] = {k: [] for k in variants}
            cpu: dict[str, list[float]] = {k: [] for k in variants}
            for _ in range(sizes.async_rounds):
                gc.collect()
                wall, spent = await _round(variants, sizes.async_calls, part)
                for key in variants:
                    samples[key].append(done / wall[key])
                    cpu[key].append(spent[key] / done * 1e6)
            after = await _server(stats)
            reconnects = int(after["connections"] - before["connections"])
            served_us = (after["cpu"] - before["cpu"]) / max(1.0, after["requests"] - before["requests"]) * 1e6
            section = "async throughput (loopback, replay)"
            rows.append(Row(section, f"{name}: `AsyncClient` vs raw `httpx.AsyncClient`, {CONCURRENCY} in flight "
                            f"drawing from one queue, {CONCURRENCY}-connection pools, replay server",
                            statistics.median(samples["ekyc"]), statistics.median(samples["raw"]),
                            "calls/s", ">= 0.95", _noise(per_round(samples, "raw2", "raw")),
                            value=statistics.median(per_round(samples, "ekyc", "raw")),
                            note=f"server {served_us:.0f} µs CPU per request, {reconnects} reconnects"))
            # ekyc's client CPU over raw is larger here than in process (bench/_cpu.py) with the same instructions
            # per call (callgrind), the same event-loop iterations and socket reads per call as raw: each call's
            # normalization runs between hundreds of µs of socket and event-loop work and the other calls in
            # flight, so with colder caches than calls made back to back in process (flushing 1-8 MiB of cache
            # between in-process calls raises the overhead by as much, in the adapters' parsing; the client and
            # retry code stay flat)
            rows.append(Row(section, f"{name}: same, client CPU per call (this process, calls drawn from one "
                            "queue; the replay server runs in another)",
                            statistics.median(cpu["ekyc"]), statistics.median(cpu["raw"]), "µs", "",
                            _noise(per_round(cpu, "raw2", "raw")),
                            value=statistics.median(per_round(cpu, "ekyc", "raw"))))


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

        _, cpu = interleaved({"ekyc": parse, "json": lambda b=body: json.loads(b),
                              "json2": lambda b=body: json.loads(b)}, sizes.norm_rounds, sizes.norm_block)
        rows.append(Row("normalization (CPU)", f"{name}: `parse_result` → `Decision` vs `json.loads` "
                        f"({len(body) // 1024} KiB, {decision.outcome.value})",
                        statistics.median(cpu["ekyc"]) * 1e6, statistics.median(cpu["json"]) * 1e6, "µs", "",
                        _noise(per_round(cpu, "json2", "json")),
                        value=statistics.median(per_round(cpu, "ekyc", "json"))))


# --------------------------------------------------------------------------------------------------
# 5. cold start


def cold_python(venv: str | None) -> str:
    """The interpreter of the cold-start runs: ``venv`` (created with only the runtime dependencies and the
    Tencent SDK when it does not exist yet), else this one. The venv's ekyc is made this checkout's (an editable
    install left by another clone would measure other code) and its bytecode is compiled, as pip does for an
    installed package — otherwise every cold run of an editable install compiles ekyc's sources (~50-70 ms
    here) while the dependencies it is compared with load their compiled bytecode."""
    if venv is None:
        python = sys.executable
    else:
        python = str(Path(venv) / "bin" / "python")
        if not Path(python).exists():
            subprocess.run([sys.executable, "-m", "venv", venv], check=True)
            subprocess.run([python, "-m", "pip", "install", "-q", "-e", str(ROOT),
                            "tencentcloud-sdk-python-intl-en"], check=True)
        where = subprocess.run([python, "-c", "import ekyc; print(ekyc.__file__)"], capture_output=True, text=True)
        if where.returncode != 0 or Path(where.stdout.strip()).resolve().parent != ROOT / "ekyc":
            subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "-e", str(ROOT)], check=True)
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "ekyc")], check=True, stdout=subprocess.DEVNULL)
    return python


#: the structural floor of any library that returns pydantic models: the baseline plus one small model
FLOOR_MODEL = ("from pydantic import BaseModel\n"
               "class Floor(BaseModel):\n    a: int\n    b: str = ''\n"
               "Floor(a=1)")


def cold_start(info: dict[str, Any], config: dict[str, Any], ref: SessionRef, python: str, sizes: Sizes,
               rows: list[Row]) -> None:
    settings = config["providers"]["tencent"]
    one = {"env": "production", "providers": {"tencent": settings}}
    with ekyc.Client.from_config(one) as client:  # a signed request, valid for the emulator's 5-minute skew
        request = client.adapter("tencent").build_result(ref).request
    raw = (f"import httpx, pydantic\n"
           f"r = httpx.post({str(request.url)!r}, headers={dict(request.headers)!r}, content={request.read()!r})\n"
           f"r.raise_for_status(); r.json()")
    ours = f"import ekyc\nekyc.Client.from_config({one!r}).get_result({ref.serialize()!r})"
    netloc = urlsplit(info["base_url"]).netloc
    sdk = ("from tencentcloud.common import credential\n"
           "from tencentcloud.common.profile.client_profile import ClientProfile\n"
           "from tencentcloud.common.profile.http_profile import HttpProfile\n"
           "from tencentcloud.faceid.v20180301 import faceid_client, models\n"
           f"c = faceid_client.FaceidClient(credential.Credential({settings['secret_id']!r}, "
           f"{settings['secret_key']!r}), {settings['region']!r}, ClientProfile(httpProfile=HttpProfile("
           f"endpoint={netloc!r}, protocol='http')))\n"
           f"q = models.GetWebVerificationResultIntlRequest(); q.BizToken = {ref.id!r}\n"
           "c.GetWebVerificationResultIntl(q)")
    has_sdk = subprocess.run([python, "-c", "import tencentcloud.faceid"], capture_output=True).returncode == 0
    snippets = {"ekyc": ours, "base": raw, "base2": raw, "floor": raw + "\n" + FLOOR_MODEL, "empty": "pass",
                **({"sdk": sdk} if has_sdk else {})}
    done = subprocess.run([python, str(ROOT / "bench" / "_cold.py"), str(sizes.cold_runs), json.dumps(snippets)],
                          check=True, capture_output=True, text=True)
    data = json.loads(done.stdout)
    where = "this interpreter" if python == sys.executable else "a venv with only the runtime dependencies"
    mem = {k: statistics.median(v["rss"]) for k, v in data.items()}
    for measure, what in (("wall", "wall"), ("cpu", "process CPU (user + system)")):
        samples = {k: v[measure] for k, v in data.items()}
        med = {k: statistics.median(v) * 1000 for k, v in samples.items()}
        noise = _noise(per_round(samples, "base2", "base"))
        rows.append(Row("cold start", f"`import ekyc` + `Client.from_config` + one `get_result` vs `import httpx, "
                        f"pydantic` + one raw call (bytecode compiled; {where}): {what}", med["ekyc"], med["base"],
                        "ms", "<= 1.20", noise, value=statistics.median(per_round(samples, "ekyc", "base")),
                        note=f"bare interpreter {med['empty']:.0f} ms"))
        if "sdk" in med:
            rows.append(Row("cold start", f"same vs the Tencent SDK: import, `FaceidClient`, one "
                            f"`GetWebVerificationResultIntl` (bytecode compiled): {what}", med["ekyc"], med["sdk"],
                            "ms", "<= 1.00", noise, value=statistics.median(per_round(samples, "ekyc", "sdk"))))
        if "sdk" in med:  # what "<= the Tencent SDK" asks: the SDK against the baseline the other target names
            rows.append(Row("cold start", f"the Tencent SDK vs the baseline (`import httpx, pydantic` + one raw call): "
                            f"{what}", med["sdk"], med["base"], "ms", "", noise,
                            value=statistics.median(per_round(samples, "sdk", "base"))))
        rows.append(Row("cold start", f"floor: the baseline plus one two-field pydantic model defined and validated, "
                        f"vs the baseline: {what}", med["floor"], med["base"], "ms", "", noise,
                        value=statistics.median(per_round(samples, "floor", "base"))))
    rows.append(Row("cold start", "same: peak RSS vs `import httpx, pydantic` + one raw call", mem["ekyc"],
                    mem["base"], "MiB", "", None, note=f"bare interpreter {mem['empty']:.1f} MiB"))


# --------------------------------------------------------------------------------------------------
# Report


def machine(cold: str) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = []
    for dist in ("ekyc-bridge", "httpx", "httpcore", "sniffio", "pydantic", "pydantic-core", "uvicorn", "starlette",
                 "tencentcloud-sdk-python-intl-en", "alibabacloud-cloudauth-intl20220809",
                 "alibabacloud-tea-openapi", "stripe", "onfido-python", "requests"):
        try:
            packages.append(f"{dist} {version(dist)}")
        except Exception:
            continue
    try:
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        load = "unknown"
    try:  # the last commit that changed the library (bench-only commits move HEAD, not what is measured)
        git = ["git", "-C", str(ROOT)]
        head = subprocess.run([*git, "log", "-1", "--format=%h", "--", "ekyc", "pyproject.toml"], capture_output=True,
                              text=True, check=True).stdout.strip()
        if subprocess.run([*git, "status", "--porcelain", "--", "ekyc", "pyproject.toml"], capture_output=True,
                          text=True, check=True).stdout.strip():
            head += " with uncommitted changes"
    except (OSError, subprocess.CalledProcessError):
        head = "unknown"
    return [
        f"- Code: ekyc as of commit `{head}`",
        f"- CPU: {cpu}, {os.cpu_count()} logical cores; load average at the end (1/5/15 min): {load}",
        f"- Python: {platform.python_implementation()} {platform.python_version()}; cold start run with `{cold}`",
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
    out = ["| Section | Measurement | ekyc | Baseline | Result | A/A noise | Target | Met |",
           "|---|---|---:|---:|---:|---:|---:|:---:|"]
    for r in rows:
        target = r.target.replace("<=", "≤").replace(">=", "≥") if r.target else "—"
        if r.kind == "diff":
            result, noise, target = f"{r.result:+.1f} {r.unit}", f"±{r.noise or 0:.1f} {r.unit}", \
                (f"{target} {r.unit}" if r.target else "—")
        else:
            result, noise = f"{r.result:.3f}×", ("—" if r.noise is None else f"±{r.noise:.3f}")
        base = fmt(r.theirs, r.unit) + (f" ({r.note})" if r.note else "")
        out.append(f"| {r.section} | {r.name} | {fmt(r.ours, r.unit)} | {base} | {result} | {noise} | {target} | "
                   f"{r.met} |")
    return "\n".join(out)


RUNS = ROOT / "bench" / "runs"


def save(rows: list[Row], stamp: str, page: dict[str, str]) -> None:
    """Keep this full run's rows (``bench/runs/<stamp>.json``) for the spread across runs, with what the page
    needs to be rendered again from it (``--render``: the text changed, the measurements did not)."""
    RUNS.mkdir(exist_ok=True)
    data = [{"section": r.section, "name": r.name, "result": r.result, "noise": r.noise, "unit": r.unit,
             "kind": r.kind, "target": r.target, "met": r.met, "ours": r.ours, "theirs": r.theirs, "note": r.note}
            for r in rows]
    (RUNS / f"{stamp}.json").write_text(json.dumps({"run": stamp, "page": page, "rows": data}, indent=1) + "\n",
                                        encoding="utf-8")


def kept(stamp: str | None = None) -> tuple[list[Row], dict[str, str]]:
    """The rows and page facts of a kept full run (the latest one that can be rendered, or ``stamp``)."""
    paths = [RUNS / f"{stamp}.json"] if stamp else sorted(RUNS.glob("*.json"), reverse=True)
    for path in paths:
        run = json.loads(path.read_text(encoding="utf-8"))
        if "page" in run:
            rows = [Row(r["section"], r["name"], r["ours"], r["theirs"], r["unit"], r["target"], r["noise"],
                        r["kind"], r["result"], r["note"]) for r in run["rows"]]
            return rows, run["page"]
    raise SystemExit("no kept run has what the page needs; make a full run (make bench)")


def spread(current: list[Row]) -> str:
    """Per measurement the benchmark makes now (``current``): the lowest and highest result over every kept full
    run that made it, and how often it was met. A measurement whose method changed gets a new name, so runs made
    the old way never mix into its spread."""
    runs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(RUNS.glob("*.json"))] if RUNS.exists() else []
    if not runs:
        return "No full run kept yet."
    seen: dict[tuple[str, str], list[dict[str, Any]]] = {(r.section, r.name): [] for r in current}
    for run in runs:
        for row in run["rows"]:
            if (row["section"], row["name"]) in seen:
                seen[(row["section"], row["name"])].append(row)
    out = [f"{len(runs)} full run(s): {', '.join(r['run'] for r in runs)}. A measurement lists only the runs that "
           "made it the way it is made now.", "",
           "| Section | Measurement | Lowest | Highest | Largest A/A noise | Target | Met in |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for (section, name), found in seen.items():
        if not found:
            continue
        lo, hi = min(r["result"] for r in found), max(r["result"] for r in found)
        noise = max((r["noise"] or 0.0) for r in found)
        unit = found[0]["unit"]
        if found[0]["kind"] == "diff":
            cells = f"{lo:+.1f} {unit} | {hi:+.1f} {unit} | ±{noise:.1f} {unit}"
        else:
            cells = f"{lo:.3f}× | {hi:.3f}× | ±{noise:.3f}"
        target = found[0]["target"].replace("<=", "≤").replace(">=", "≥") or "—"
        # the verdict is judged again by today's rule (a run kept before the ±5 % A/A rule saved a plain "yes")
        verdicts = [Row(section, name, 0.0, 0.0, unit, r["target"], r["noise"], r["kind"], r["result"]).met
                    for r in found]
        met = f"{verdicts.count('yes')} of {len(found)}" if found[0]["target"] else "—"
        out.append(f"| {section} | {name} | {cells} | {target} | {met} |")
    return "\n".join(out)


def page_facts(quick: bool, seconds: float, cold: str) -> dict[str, str]:
    """What the page says about the run besides its rows."""
    return {"machine": "\n".join(machine(cold)), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "mode": "quick (smoke-test counts, not meaningful)" if quick else "full", "seconds": f"{seconds:.0f}"}


def render(rows: list[Row], facts: dict[str, str]) -> str:
    template = (ROOT / "bench" / "TEMPLATE.md").read_text(encoding="utf-8")
    return template.format(
        table=table(rows),
        spread=spread(rows),
        concurrency=CONCURRENCY,
        keepalive=f"{KEEPALIVE:.0f}",
        async_part=FULL.async_part,
        async_calls=FULL.async_calls,
        async_rounds=FULL.async_rounds,
        cpu_target=f"{CPU_TARGET:.0f}",
        **facts,
    )


def served_sections(sizes: Sizes, skip: set[str], python: str, step: Callable[[str], None],
                    rows: list[Row]) -> None:
    """The sections that need the served sandbox: sync loopback and SDKs, normalization, cold start."""
    with served() as info:
        config = {"env": "production", **info["config"]}
        with ekyc.Client.from_config(config) as client:
            refs = completed_sessions(client)
            if "sync" not in skip:
                step("per call over loopback (sync) and official SDKs")
                bench_sync(info, config, refs, sizes, rows)
            if "norm" not in skip:
                step("normalization")
                normalization(client, refs, sizes, rows)
        if "cold" not in skip and "tencent" in refs:
            step(f"cold start ({python})")
            cold_start(info, config, refs["tencent"], python, sizes, rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny iteration counts (smoke test)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"),
                        help="where to write the report ('-' prints it)")
    parser.add_argument("--cold-venv", default=None,
                        help="run the cold start in this venv (created with only the runtime dependencies and the "
                             "Tencent SDK if it does not exist)")
    parser.add_argument("--render", nargs="?", const="", default=None, metavar="RUN",
                        help="measure nothing: write the page again from a kept full run (the latest, or RUN, a "
                             "bench/runs/ stamp) and the current bench/TEMPLATE.md")
    parser.add_argument("--skip", default="", help="comma-separated sections to leave out: cpu,sync,async,norm,cold")
    args = parser.parse_args(argv)
    if args.render is not None:
        rows, facts = kept(args.render or None)
        write(render(rows, facts), args.output)
        return 0
    sizes = QUICK if args.quick else FULL
    skip = set(filter(None, args.skip.split(",")))
    started = time.perf_counter()
    rows: list[Row] = []

    def step(what: str) -> None:
        print(f"[bench {time.perf_counter() - started:6.1f}s] {what}", file=sys.stderr, flush=True)

    python = cold_python(args.cold_venv) if "cold" not in skip else sys.executable
    if "cpu" not in skip:
        step("per-call CPU, in process")
        bench_cpu(sizes, rows)
    if "async" not in skip:
        step("async throughput (replay server)")
        with replayed() as (rec, address):
            asyncio.run(_bench_async(rec, address, sizes, rows))
    if not {"sync", "norm", "cold"} <= skip:
        served_sections(sizes, skip, python, step, rows)
    step("done")
    facts = page_facts(args.quick, time.perf_counter() - started, python)
    if not args.quick and args.output != "-" and not skip:
        save(rows, time.strftime("%Y%m%d-%H%M", time.gmtime()), facts)
    write(render(rows, facts), args.output)
    if args.output != "-":
        print(table(rows))
    return 0


def write(report: str, output: str) -> None:
    if output == "-":
        sys.stdout.write(report)
    else:
        Path(output).write_text(report, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
