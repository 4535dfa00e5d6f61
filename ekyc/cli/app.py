"""``ekyc`` commands: demo, sandbox serve, compare, create, result, capabilities, check-config."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from .. import registry
from ..client import Client
from ..errors import EkycError
from ..models import SessionRequest
from ..sandbox import SCENARIOS, Sandbox
from ..sandbox.runner import RETURN_URL, run_scenario, scenario_request
from ..settings import Settings
from .report import build_report, summarize_decision
from .serve import banner, base_url, bind, is_loopback

app = typer.Typer(help="ekyc — one API over several eKYC providers.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
sandbox_app = typer.Typer(help="The local sandbox of every provider.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
out = Console()
err = Console(stderr=True)

T = TypeVar("T")
#: approved, face mismatch, spoof, abandoned (the user started and never finished), expired
DEMO_SCENARIOS = ("approved", "face_mismatch", "liveness_spoof", "timed_out", "session_expired")


@app.command()
def demo(
    interactive: Annotated[bool, typer.Option(help="Serve the sandbox and print a URL per provider to click.")] = False,
    provider: Annotated[list[str] | None, typer.Option(help="Limit to these providers.")] = None,
    port: Annotated[int, typer.Option(help="Port for --interactive (0: any free port).")] = 8765,
) -> None:
    """The whole KYC flow on the local sandbox for every provider, no credentials needed."""
    if interactive:
        _interactive(provider, port)
        return
    sandbox = Sandbox(provider or None)
    names = list(sandbox.providers)
    runs = {}
    with Client(sandbox=sandbox) as client, Progress(console=err, transient=True) as progress:
        task = progress.add_task("verifying", total=len(names) * len(DEMO_SCENARIOS))
        for name in names:
            for scenario in DEMO_SCENARIOS:
                progress.update(task, description=f"{name}: {scenario}")
                runs[(name, scenario)] = run_scenario(client, sandbox, name, scenario)
                progress.advance(task)
    table = Table(title="ekyc demo — normalized decisions on the local sandbox")
    table.add_column("scenario")
    table.add_column("expected")
    for name in names:
        table.add_column(name)
    notes: list[str] = []
    for scenario in DEMO_SCENARIOS:
        expect = SCENARIOS[scenario]
        row = [scenario, expect.outcome.value + "".join(f" {r.value}" for r in sorted(expect.reasons))]
        for name in names:
            run = runs[(name, scenario)]
            if not run.supported:
                notes.append(f"{name} / {scenario}: {run.unsupported_reason}")
                row.append(f"[dim]unsupported [{len(notes)}][/dim]")
                continue
            assert run.decision is not None
            reasons = " ".join(r.value for r in run.decision.reason_codes)
            hook = f"\n[dim]webhook ✓ ({run.webhook.authenticated})[/dim]" if run.webhook else ""
            color = "green" if run.matched else "red"
            row.append(f"[{color}]{'✓' if run.matched else '✗'} {run.decision.outcome.value}[/{color}] {reasons}"
                       f"{hook}" + ("" if run.matched else f"\n[red]{'; '.join(run.problems)}[/red]"))
        table.add_row(*row)
    out.print(table)
    for i, note in enumerate(notes, 1):
        out.print(f"[dim][{i}] {note}[/dim]")
    failed = [r for r in runs.values() if r.supported and not r.matched]
    supported = sum(1 for r in runs.values() if r.supported)
    if failed:
        err.print(f"[red]{len(failed)} of {supported} decisions did not match their scenario[/red]")
        raise typer.Exit(1)
    out.print(f"[green]all {supported} decisions matched their scenario[/green] "
              f"({len(runs) - supported} unsupported pairs listed)")


def _interactive(providers: list[str] | None, port: int) -> None:
    import uvicorn

    sock = bind("127.0.0.1", port)
    sandbox = Sandbox(providers or None, base_url=base_url(sock), deliver_http=False)
    with Client(sandbox=sandbox) as client:
        out.print(f"Sandbox at {sandbox.base_url}. Open a URL, pick a scenario, and you will land on the return "
                  "page showing the normalized decision:\n")
        for name in sandbox.providers:
            req = scenario_request(name, "interactive", reference=f"interactive-{name}-{int(time.time())}")
            session = client.create_session(req.model_copy(update={"return_url": sandbox.return_url}), provider=name)
            out.print(f"  {registry.load(name).display_name:28} {session.url}")
    out.print("\nCtrl-C to stop.")
    uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning", lifespan="off")).run(sockets=[sock])


@sandbox_app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 8765,
    allow_remote: Annotated[bool, typer.Option(help="Allow a non-loopback host (the sandbox has no auth).")] = False,
    deliver_webhooks: Annotated[bool, typer.Option(help="POST webhooks/callbacks to their URLs.")] = True,
) -> None:
    """Serve every provider's emulator and hosted pages on one port."""
    import uvicorn

    if not is_loopback(host) and not allow_remote:
        err.print(f"refusing to bind {host}: the sandbox accepts fixed credentials; pass --allow-remote to expose it")
        raise typer.Exit(2)
    sock = bind(host, port)
    sandbox = Sandbox(base_url=base_url(sock), deliver_http=deliver_webhooks)
    out.print(banner(sandbox), highlight=False, markup=False)
    uvicorn.Server(uvicorn.Config(sandbox.app, log_level="info", lifespan="off")).run(sockets=[sock])


@app.command()
def compare(
    format: Annotated[str, typer.Option("--format", help="table, md or json")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Every catalog scenario on every provider: outcome matrix, capabilities and latency."""
    if format not in ("table", "md", "json"):
        err.print("--format must be table, md or json")
        raise typer.Exit(2)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("comparing", total=None)
        report = build_report(progress=lambda p, s: progress.update(task, description=f"{p}: {s}"))
    if format == "md":
        text = report.to_markdown()
    elif format == "json":
        text = report.to_json()
    else:
        table = Table(title="Scenario × provider (✓ = matches the expectation)")
        table.add_column("scenario")
        for p in report.providers:
            table.add_column(p)
        for s in report.scenarios:
            table.add_row(s, *(report.cell(s, p) for p in report.providers))
        caps = Table(title="Capabilities")
        caps.add_column("")
        for p in report.providers:
            caps.add_column(p)
        rows = report.capabilities()
        for key in next(iter(rows.values())):
            caps.add_row(key, *(rows[p][key] for p in report.providers))
        lat = Table(title="Median latency, in-process sandbox (ms)")
        for col in ("provider", "create", "get_result"):
            lat.add_column(col)
        for p in report.providers:
            v = report.latency(p)
            lat.add_row(p, str(v["create_ms"]), str(v["result_ms"]))
        console = Console(file=output.open("w", encoding="utf-8")) if output else out
        for t in (table, caps, lat):
            console.print(t)
        raise typer.Exit(0 if report.ok else 1)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def create(
    reference: Annotated[str, typer.Option(help="Your user id.")],
    return_url: Annotated[str, typer.Option(help="Where the provider sends the user back.")] = RETURN_URL,
    provider: Annotated[str | None, typer.Option(help="Override the routed provider.")] = None,
    check: Annotated[list[str] | None, typer.Option(help="document, liveness, face_match (repeat).")] = None,
    country: Annotated[str | None, typer.Option()] = None,
    document_type: Annotated[list[str] | None, typer.Option()] = None,
    client_metadata: Annotated[str | None, typer.Option(help="Alibaba MetaInfo from the browser.")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML settings (default: environment).")] = None,
) -> None:
    """Start a session with the configured providers (environment or --config)."""
    fields: dict[str, Any] = {"reference": reference, "return_url": return_url, "country": country,
              "client_metadata": client_metadata}
    if check:
        fields["checks"] = check
    if document_type:
        fields["document_types"] = document_type
    with _client(config) as client:
        session = _guard(lambda: client.create_session(SessionRequest(**fields), provider=provider))
        out.print_json(json.dumps({"ref": session.ref.serialize(), "url": session.url, "provider": session.provider,
                                   "expires_at": session.expires_at.isoformat() if session.expires_at else None,
                                   "reused": session.reused, "single_use": session.single_use}))


@app.command()
def result(
    ref: Annotated[str, typer.Argument(help="The session reference string (session.ref.serialize()).")],
    config: Annotated[Path | None, typer.Option(help="TOML settings (default: environment).")] = None,
) -> None:
    """Fetch and print a session's normalized decision (personal data omitted)."""
    with _client(config) as client:
        decision = _guard(lambda: client.get_result(ref))
        out.print_json(json.dumps(summarize_decision(decision)))


@app.command()
def capabilities() -> None:
    """The capability matrix of every registered provider."""
    names = list(registry.names())
    rows = {n: registry.load(n).capabilities.describe() for n in names}
    table = Table(title="Capabilities")
    table.add_column("")
    for n in names:
        table.add_column(registry.load(n).display_name)
    for key in next(iter(rows.values())):
        table.add_row(key, *(rows[n][key] for n in names))
    out.print(table)


@app.command("check-config")
def check_config(config: Annotated[Path | None, typer.Option(help="TOML file (default: environment).")] = None) -> None:
    """Validate a configuration and show what it selects (secrets masked)."""
    try:
        settings = Settings.from_file(config) if config else Settings.from_env()
    except EkycError as exc:
        err.print(f"[red]configuration error[/red]: {exc}")
        raise typer.Exit(1) from None
    if settings.uses_sandbox:
        out.print("no provider configured: the local sandbox will be used"
                  + (" (EKYC_ENV=sandbox)" if settings.env == "sandbox" else ""))
    for name in settings.configured:
        shown = {k: ("***" if "secret" in k or "key" in k or "token" in k else v)
                 for k, v in settings.provider_settings(name).model_dump().items() if v is not None}
        out.print(f"[bold]{name}[/bold]: {shown}")
    if settings.configured:
        out.print(f"default provider: {settings.provider or settings.default_provider()}")
    routing = settings.routing_config
    out.print(f"routing: {len(routing.rules)} rules, fallback {list(routing.fallback) or 'none'}, cooldown "
              f"{routing.cooldown.failures} failures / {routing.cooldown.seconds:g}s")
    out.print("[green]configuration OK[/green]")


def _client(config: Path | None) -> Client:
    try:
        return Client.from_file(config) if config else Client.from_env()
    except EkycError as exc:
        err.print(f"[red]configuration error[/red]: {exc}")
        raise typer.Exit(1) from None


def _guard(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except EkycError as exc:
        err.print(f"[red]{type(exc).__name__}[/red]: {exc}")
        raise typer.Exit(1) from None
