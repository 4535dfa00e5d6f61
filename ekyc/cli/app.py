"""``ekyc`` commands: demo, sandbox serve/complete, compare, create, result, capabilities, check-config.

Every command ends with a documented exit code (:class:`~ekyc.cli.exits.Exit`) and, on failure, one line
``error: …`` on stderr — never a traceback. Commands that print data take ``--format table|json``.
``docs/cli.md`` is the reference.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from .. import __version__, registry
from ..client import Client
from ..models import Check, Decision, DocumentType, Outcome
from ..provider import is_loopback
from .config import check as check_configuration
from .config import load_settings
from .exits import CliError, Command, Exit, Group, one_line, typed_as, usage
from .output import FORMAT_HELP, Format, console, emit_json, emit_line, emit_pairs, emit_prose, note, table
from .report import CompareFormat, Report, build_report, summarize_decision
from .serve import banner, base_url, bind

EXIT_CODES = ("\b\nExit codes: 0 ok (result: APPROVED), 1 error, 2 wrong option or argument,\n"
              "3 result: not approved, 4 result: pending, 5 provider unavailable or rate\n"
              "limited (try again later). Errors are one line on stderr. See docs/cli.md.")
app = typer.Typer(cls=Group, help="ekyc: one API over several eKYC providers, and a local sandbox of each.",
                  epilog=EXIT_CODES, no_args_is_help=True, rich_markup_mode=None, add_completion=True,
                  pretty_exceptions_enable=False,
                  context_settings={"max_content_width": 80, "help_option_names": ["-h", "--help"]})
sandbox_app = typer.Typer(cls=Group, help="Serve the local sandbox, complete its sessions.",
                          no_args_is_help=True, rich_markup_mode=None)
app.add_typer(sandbox_app, name="sandbox")
from .ledger import app as ledger_app; app.add_typer(ledger_app, name="ledger")  # noqa: E402, E702, I001 - ekyc ledger
from .bakeoff import register; register(app)  # noqa: E402, E702, I001 - ekyc report, ekyc simulate

#: approved, face mismatch, spoof, abandoned (the user started and never finished), expired
DEMO_SCENARIOS = ("approved", "face_mismatch", "liveness_spoof", "timed_out", "session_expired")
CREATE_FLAGS = {"reference": "--reference", "return_url": "--return-url", "checks": "--check",
                "document_types": "--document-type", "country": "--country", "client_metadata": "--client-metadata",
                "provider": "--provider"}
SERVE_HINT = ("run 'ekyc sandbox serve' in another terminal and paste the 'export' lines it prints, so that "
              "sessions outlive each command")

FormatOpt = Annotated[Format, typer.Option("--format", metavar="[table|json]", help=FORMAT_HELP)]
ConfigOpt = Annotated[Path | None, typer.Option("--config", metavar="FILE",
                                                help="TOML settings file (default: EKYC_* environment variables "
                                                     "and EKYC_CONFIG).")]
PortOpt = Annotated[int, typer.Option("--port", metavar="PORT", min=0, max=65535,
                                      help="Port to listen on (0: any free port).")]


def _version(value: bool) -> None:
    if value:
        emit_line(f"ekyc {__version__} (ekyc-bridge)")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """ekyc: one API over several eKYC providers, and a local sandbox of each."""
    _log_notes()


class _Notes(logging.Handler):
    """The library's warnings as ``note: …`` lines on the current stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        note(one_line(record.getMessage()).removeprefix("ekyc: "))


def _log_notes() -> None:
    """Show the library's warnings (e.g. "using the in-process sandbox") as notes, once."""
    logger = logging.getLogger("ekyc")
    if not any(isinstance(h, _Notes) for h in logger.handlers):
        logger.addHandler(_Notes(logging.WARNING))


# -- demo -------------------------------------------------------------------------------------------


@app.command(cls=Command)
def demo(
    interactive: Annotated[bool, typer.Option("--interactive", help="Serve the sandbox and print one URL per "
                                                                    "provider to click through.")] = False,
    provider: Annotated[list[str] | None, typer.Option("--provider", metavar="NAME",
                                                       help="Only this provider (repeat for several).")] = None,
    port: PortOpt = 8765,
    format: FormatOpt = Format.table,
) -> None:
    """Run the whole KYC flow on the local sandbox.

    Every provider, five scenarios, no credentials needed. Exits 0 when every
    decision matches its scenario, 1 otherwise.
    """
    from ..sandbox import Sandbox
    from ..sandbox.runner import run_scenario

    if interactive:
        _interactive(provider, port)
        return
    with typed_as({"provider": "--provider"}):
        sandbox = Sandbox(provider or None)
    names = list(sandbox.providers)
    runs = {}
    with sandbox.client() as client, _progress() as progress:
        task = progress.add_task("verifying", total=len(names) * len(DEMO_SCENARIOS))
        for name in names:
            for scenario in DEMO_SCENARIOS:
                progress.update(task, description=f"{name}: {scenario}")
                runs[(name, scenario)] = run_scenario(client, sandbox, name, scenario)
                progress.advance(task)
    failed = [r for r in runs.values() if r.supported and not r.matched]
    supported = sum(1 for r in runs.values() if r.supported)
    if format is Format.json:
        emit_json({"ok": not failed, "runs": [r.summary() for r in runs.values()]})
        raise typer.Exit(Exit.ERROR if failed else Exit.OK)
    emit_line("ekyc demo: normalized decisions on the local sandbox")
    console().print(Report(names, list(DEMO_SCENARIOS), runs).outcome_table())
    emit_line("✓ decision as expected; +webhook: its signed webhook/callback verified too")
    for name in names:
        if not any(r.webhook for (p, _), r in runs.items() if p == name):
            emit_prose(f"{name}: no webhook in this flow; its webhooks: {registry.load(name).capabilities.webhooks}")
    unsupported = len(runs) - supported
    if unsupported:
        emit_prose(f"— {unsupported} scenario/provider pairs cannot be rendered truthfully; why: "
                   "docs/comparison.md or 'ekyc compare'")
    for run in failed:
        emit_prose(f"✗ {run.provider} / {run.scenario}: {'; '.join(run.problems)}")
    if failed:
        raise CliError(f"{len(failed)} of {supported} decisions did not match their scenario")
    emit_line(f"all {supported} decisions matched their scenario")


def _progress() -> Any:
    """A transient progress line on stderr, shown only on a terminal."""
    from rich.progress import Progress

    stderr = typer.get_text_stream("stderr")
    return Progress(console=console(stderr), transient=True, disable=not stderr.isatty())


def _interactive(providers: list[str] | None, port: int) -> None:
    import uvicorn

    from ..sandbox import Sandbox
    from ..sandbox.runner import scenario_request

    sock = _bind("127.0.0.1", port)
    with typed_as({"provider": "--provider"}):
        sandbox = Sandbox(providers or None, base_url=base_url(sock), deliver_http=False)
    with sandbox.client() as client:
        emit_line(f"Sandbox at {sandbox.base_url}. Open a URL, pick a scenario, and you land on the return page "
                  "showing the normalized decision:\n")
        for name in sandbox.providers:
            req = scenario_request(name, "interactive", reference=f"interactive-{name}-{int(time.time())}")
            session = client.create_session(req.model_copy(update={"return_url": sandbox.return_url}), provider=name)
            emit_line(f"  {name:8} {session.url}")
    emit_line("\nCtrl-C to stop.")
    uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning", lifespan="off")).run(sockets=[sock])


def _bind(host: str, port: int) -> Any:
    try:
        return bind(host, port)
    except OSError as exc:
        import errno

        if exc.errno == errno.EADDRINUSE:
            raise CliError(f"port {port} on {host} is already in use (an earlier 'ekyc sandbox serve'?); pick "
                           "another with --port, or --port 0 for any free port") from None
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


# -- sandbox ----------------------------------------------------------------------------------------


@sandbox_app.command("serve", cls=Command)
def serve(
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS",
                                      help="Interface to listen on (loopback by default).")] = "127.0.0.1",
    port: PortOpt = 8765,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Allow a non-loopback --host (the sandbox "
                                                                      "has no authentication).")] = False,
    deliver_webhooks: Annotated[bool, typer.Option("--deliver-webhooks/--no-deliver-webhooks",
                                                   help="Send webhooks/callbacks to the URLs the sessions "
                                                        "name.")] = True,
    webhook_url: Annotated[list[str] | None, typer.Option(
        "--webhook-url", metavar="[PROVIDER=]URL",
        help="Send every provider's webhooks and callbacks to your app at URL instead (PROVIDER=URL: that "
             "provider's only; repeat for several). Each delivery is logged with its response status.")] = None,
) -> None:
    """Serve every provider's emulator on one port.

    Runs until Ctrl-C. Prints the base URL and the settings (shell exports,
    TOML, SDK hints) that point ekyc or each vendor's SDK at it.
    """
    import uvicorn

    from ..sandbox import Sandbox
    from ..sandbox.server import SandboxError

    if not is_loopback(host) and not allow_remote:
        raise usage(f"--host {host} is not a loopback address: the sandbox accepts fixed credentials; pass "
                    "--allow-remote to expose it anyway")
    targets = _webhook_targets(webhook_url or [])
    sock = _bind(host, port)
    sandbox = Sandbox(base_url=base_url(sock), deliver_http=deliver_webhooks)
    for provider, url in targets.items():
        try:
            sandbox.set_webhook_url(url, provider)
        except SandboxError as exc:
            raise usage(f"--webhook-url: {exc}") from None
    _log_deliveries()
    sandbox.on_sent = _log_delivery
    emit_line(banner(sandbox))
    typer.get_text_stream("stdout").flush()
    uvicorn.Server(uvicorn.Config(sandbox.app, log_level="info", lifespan="off")).run(sockets=[sock])


def _webhook_targets(values: list[str]) -> dict[str | None, str]:
    """``--webhook-url`` values as {provider or None (every provider): URL}, checked before anything starts."""
    targets: dict[str | None, str] = {}
    for value in values:
        provider, sep, url = value.partition("=")
        if not sep or "://" in provider:
            provider, url = "", value
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise usage(f"--webhook-url: {url!r} is not an http(s) URL (give URL or PROVIDER=URL)")
        if provider and provider not in registry.names():
            raise usage(f"--webhook-url: unknown provider {provider!r}; known: {', '.join(registry.names())}")
        targets[provider or None] = url
    # "every provider" first, so that PROVIDER=URL overrides it whatever the order on the command line
    return dict(sorted(targets.items(), key=lambda item: item[0] is not None))


def _log_deliveries() -> None:
    """The sandbox's delivery log lines (``ekyc.sandbox``) on stderr, as uvicorn prints its own."""
    logger = logging.getLogger("ekyc.sandbox")
    logger.setLevel(logging.INFO)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


def _log_delivery(delivery: Any, status: int | None, error: str | None) -> None:
    """One line per webhook/callback sent: provider, event, where (scheme://host/path: never the query, which
    holds Alibaba's callbackToken) and the response status or the error."""
    logger = logging.getLogger("ekyc.sandbox")
    parts = urlsplit(delivery.url)
    where = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
    outcome = f"HTTP {status}" if status is not None else f"failed ({error})"
    (logger.info if status is not None and status < 400 else logger.warning)(
        "%s %s %s %s -> %s", delivery.provider, _event(delivery), delivery.method, where, outcome)


def _event(delivery: Any) -> str:
    """What a delivery is about: Didit's ``webhook_type`` (and status), Tencent's ``Scene``, Alibaba's callback."""
    import json

    try:
        body = json.loads(delivery.body) if delivery.body else None
    except ValueError:
        body = None
    if isinstance(body, dict):
        kind = body.get("webhook_type") or body.get("Scene") or "webhook"
        status = body.get("status")
        return f"{kind}" + (f" ({status})" if isinstance(status, str) else "")
    return "callback" if delivery.method == "GET" else "webhook"


@sandbox_app.command("complete", cls=Command)
def complete(
    url: Annotated[str, typer.Argument(metavar="URL", help="The session's URL, as 'ekyc create' printed it.")],
    scenario: Annotated[str, typer.Option("--scenario", metavar="NAME",
                                          help="The catalog scenario to play (approved, face_mismatch, …; "
                                               "see docs/sandbox.md).")] = "approved",
    format: FormatOpt = Format.table,
) -> None:
    """Complete a served sandbox session as the user.

    Opens the hosted page at URL, plays --scenario, and prints the provider's
    redirect URL. Then 'ekyc result REF' shows the decision.
    """
    from ..sandbox import SCENARIOS, Sandbox

    if scenario not in SCENARIOS:
        raise usage(f"--scenario: unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise usage("URL: give the session URL that 'ekyc create' printed (http://127.0.0.1:PORT/…)")
    sandbox = Sandbox(base_url=f"{parts.scheme}://{parts.netloc}")
    for name, emulator in sandbox.emulators.items():
        if any(parts.path.startswith(prefix) for prefix in emulator.path_prefixes) and not emulator.supports(scenario):
            plays = ", ".join(s.name for s in emulator.supported_scenarios())
            raise usage(f"--scenario {scenario}: the {emulator.title} sandbox ({name}) cannot play it: "
                        f"{emulator.unsupported.get(scenario, 'not supported')}; it plays: {plays}")
    redirect = sandbox.complete(url, scenario)
    if format is Format.json:
        emit_json({"scenario": scenario, "redirect": redirect})
    else:
        emit_pairs([("scenario", scenario), ("redirect", redirect)])


# -- compare, capabilities ----------------------------------------------------------------------------


@app.command(cls=Command)
def compare(
    format: Annotated[CompareFormat, typer.Option("--format", metavar="[table|md|json]",
                                                            help="table, md (Markdown, as docs/comparison.md) "
                                                                 "or json.")] = CompareFormat.table,
    output: Annotated[Path | None, typer.Option("--output", metavar="FILE",
                                                help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Run every scenario on every provider and compare.

    Prints the outcome matrix, the capability matrix and latency. Exits 0
    when every decision matches its scenario, 1 otherwise.
    """
    with _progress() as progress:
        task = progress.add_task("comparing", total=None)
        report = build_report(progress=lambda p, s: progress.update(task, description=f"{p}: {s}"))
    if format is CompareFormat.table:
        with (output.open("w", encoding="utf-8") if output else _stdout()) as stream:
            out = console(stream)
            out.print("Scenario × provider on the in-process sandbox")
            for t in report.tables():
                out.print(t)
            out.print("✓ decision as expected; +webhook: its signed webhook/callback verified too; "
                      "—: unsupported (why: docs/comparison.md, or --format md)")
    else:
        text = report.to_markdown() if format is CompareFormat.md else report.to_json() + "\n"
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            typer.get_text_stream("stdout").write(text)
    if not report.ok:
        raise CliError("some decisions did not match their scenario (✗ above)")


def _stdout() -> Any:
    from contextlib import nullcontext

    return nullcontext(typer.get_text_stream("stdout"))


@app.command(cls=Command)
def capabilities(format: FormatOpt = Format.table) -> None:
    """Show what each provider can honour.

    Check combinations, documents, return URL, webhooks, countries, and how creates are retried.
    """
    names = list(registry.names())
    rows = {n: registry.load(n).capabilities.describe() for n in names}
    if format is Format.json:
        emit_json(rows)
        return
    keys = list(next(iter(rows.values())))
    console().print(table("Capabilities", ["", *names], ([k, *(rows[n][k] for n in names)] for k in keys)))


# -- create, result, check-config ---------------------------------------------------------------------


@app.command(cls=Command)
def create(
    reference: Annotated[str, typer.Option("--reference", metavar="USER_ID",
                                           help="Your own id for the user (sent to the provider).")],
    return_url: Annotated[str, typer.Option("--return-url", metavar="URL",
                                            help="Where the provider sends the user back.")]
        = "https://app.example/kyc/return",
    provider: Annotated[str | None, typer.Option("--provider", metavar="NAME",
                                                 help="Use this provider instead of the routed one.")] = None,
    check: Annotated[list[Check] | None, typer.Option("--check", metavar="CHECK",
                                                            help="document, liveness or face_match (repeat; "
                                                                 "default: all three).")]
        = None,
    country: Annotated[str | None, typer.Option("--country", metavar="CODE",
                                                help="Issuing country, ISO 3166 alpha-2 or alpha-3.")] = None,
    document_type: Annotated[list[DocumentType] | None, typer.Option(
        "--document-type", metavar="TYPE", case_sensitive=False,
        help="passport, id_card, drivers_license, residence_permit or other (repeat).")] = None,
    client_metadata: Annotated[str | None, typer.Option("--client-metadata", metavar="JSON",
                                                        help="Alibaba's MetaInfo from the user's browser.")] = None,
    config: ConfigOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Start a verification session.

    Prints the ref to store (give it to 'ekyc result') and the URL to send the user to. Exits 0.
    """
    fields: dict[str, Any] = {"reference": reference, "return_url": return_url, "country": country,
                              "client_metadata": client_metadata}
    if check:
        fields["checks"] = check
    if document_type:
        fields["document_types"] = document_type
    # a request field is set through its flag, typed or not; "provider" is the flag only when typed (else the
    # configured default is at fault, and the message names that setting)
    flags = {field: flag for field, flag in CREATE_FLAGS.items() if field != "provider" or provider is not None}
    with _client(config) as client, typed_as(flags):
        session = client.create_session(provider=provider, **fields)
    data = {"ref": session.ref.serialize(), "url": session.url, "provider": session.provider,
            "expires_at": session.expires_at.isoformat() if session.expires_at else None,
            "reused": session.reused, "single_use": session.single_use}
    if format is Format.json:
        emit_json(data)
    else:
        emit_pairs(data.items())
    if client.sandbox is not None:
        note(f"this session lives in the in-process sandbox, which ends with this command; {SERVE_HINT}")


@app.command(cls=Command)
def result(
    ref: Annotated[str, typer.Argument(metavar="REF", help="The ref 'ekyc create' printed (what "
                                                           "session.ref.serialize() returns).")],
    config: ConfigOpt = None,
    format: FormatOpt = Format.table,
) -> None:
    """Show a session's normalized decision.

    Personal data is never printed. Exits 0 when APPROVED, 3 when not approved
    (DECLINED, REVIEW, EXPIRED, ABANDONED, ERROR), 4 while PENDING.
    """
    with _client(config) as client:
        try:
            with typed_as({"ref": "REF"}):
                decision = client.get_result(ref)
        except CliError as exc:
            if client.sandbox is None or exc.code is Exit.USAGE:
                raise
            # a fresh in-process sandbox knows no session: whatever it answered, that is the reason
            raise CliError(f"the in-process sandbox (nothing configured) starts empty for every command, so it "
                           f"knows no session; {SERVE_HINT}") from None
    summary = summarize_decision(decision)
    if format is Format.json:
        emit_json(summary)
    else:
        emit_pairs(_decision_rows(decision, summary))
    if decision.outcome is Outcome.PENDING:
        raise typer.Exit(Exit.PENDING)
    if decision.outcome is not Outcome.APPROVED:
        raise typer.Exit(Exit.NOT_APPROVED)


def _decision_rows(decision: Decision, summary: dict[str, Any]) -> list[tuple[str, Any]]:
    def shown(r: dict[str, Any]) -> str:
        return str(r["code"]) + (f" (provider code {r['provider_code']})" if r["provider_code"] else "") \
            + (", retryable" if r["retryable"] else "")

    checks = ", ".join(f"{name} {'-' if c['passed'] is None else 'passed' if c['passed'] else 'failed'}"
                       for name, c in summary["checks"].items() if isinstance(c, dict))
    return [("outcome", decision.outcome.value), ("reasons", "; ".join(shown(r) for r in summary["reasons"])),
            ("warnings", "; ".join(shown(w) for w in summary["warnings"])), ("checks", checks),
            ("provider", decision.ref.provider), ("provider status", summary["provider_status"]),
            ("ref", summary["ref"]), ("identity fields", ", ".join(summary["identity_fields_present"]))]


@app.command("check-config", cls=Command)
def check_config(config: ConfigOpt = None, format: FormatOpt = Format.table) -> None:
    """Check the configuration a create would use.

    Prints what it selects (secrets masked) and one line per problem. Exits 0
    when nothing is wrong, 1 when a problem was found.
    """
    report = check_configuration(config)
    if format is Format.json:
        emit_json(report.to_dict())
    elif not report.loaded:
        emit_pairs([("settings from", report.source)])
    else:
        view = report.view
        sandbox = view.get("sandbox")
        sessions = "the local sandbox" if sandbox is True else "the configured providers" if sandbox is False \
            else "nowhere (see the error)"
        emit_pairs([("settings from", report.source), ("sessions go to", sessions),
                    *((k, v) for k, v in view.items() if k not in ("providers", "sandbox"))])
        for name, values in view.get("providers", {}).items():
            emit_line(f"[providers.{name}]")
            emit_pairs(values.items(), indent="  ")
    if report.problems:
        if format is Format.table:
            for problem in report.problems:
                emit_line(f"error: {problem}", stream=typer.get_text_stream("stderr"))
        raise typer.Exit(Exit.ERROR)
    if format is Format.table:
        emit_line("configuration OK")


def _client(config: Path | None) -> Client:
    return Client(load_settings(config))
