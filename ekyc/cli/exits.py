"""How every ``ekyc`` command ends: a documented exit code, and on failure one line ``error: …`` on stderr.

No command prints a traceback. Library errors (:class:`~ekyc.errors.EkycError`), operating-system errors
(a port already taken, an unreadable file), network errors and usage errors all become one line that names
what the user typed (``--check``, ``--config FILE``), never a Python field path such as ``checks.0``.
Messages are printed as plain text: bracketed text such as ``[providers.didit]`` is kept.
"""

from __future__ import annotations

import errno
import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import IntEnum
from functools import partial
from typing import Any

import httpx
import typer
from typer.core import TyperArgument, TyperCommand, TyperGroup

from ..errors import ConfigurationError, EkycError, InvalidRequest, UnsupportedFeature

#: click's exceptions as typer uses them (typer ≥ 0.25 vendors click as ``typer._click``)
_click: Any = importlib.import_module(typer.BadParameter.__module__)
_NO_ARGS: type[Exception] = getattr(_click, "NoArgsIsHelpError", type("_Never", (Exception,), {}))


class Exit(IntEnum):
    """The exit codes of every ``ekyc`` command (``docs/cli.md`` lists them per command)."""

    #: done; ``ekyc result``: the decision is APPROVED
    OK = 0
    #: the command could not do its job (configuration, provider, network, file or port), or — for
    #: ``demo``/``compare`` — a decision differed from its scenario; ``check-config``: a problem was found
    ERROR = 1
    #: a wrong option or argument (the message names the flag as typed)
    USAGE = 2
    #: ``ekyc result``: a final decision other than APPROVED (DECLINED, REVIEW, EXPIRED, ABANDONED, ERROR)
    NOT_APPROVED = 3
    #: ``ekyc result``: the session is not finished yet (PENDING): ask again later
    PENDING = 4
    #: the provider is unavailable or rate limiting: the same command may succeed later
    TEMPORARY = 5
    #: interrupted (Ctrl-C)
    INTERRUPTED = 130


class CliError(Exception):
    """A failure the command explains itself: ``message`` is printed as ``error: message``."""

    def __init__(self, message: str, code: Exit = Exit.ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def usage(message: str) -> CliError:
    """A :class:`CliError` for a wrong option or argument (exit 2)."""
    return CliError(message, Exit.USAGE)


_INVALID_PREFIX = re.compile(r"^invalid \w+(?:\.[\w.]+)?: ")


def describe(exc: EkycError, flags: Mapping[str, str] | None = None) -> tuple[str, Exit]:
    """One line and an exit code for a library error; ``flags`` maps request fields to the flags that set them."""
    flags = flags or {}
    message = exc.message
    root = (exc.field or "").split(".")[0]
    flag = flags.get(exc.field or "") or flags.get(root)
    if flag is not None and isinstance(exc, (InvalidRequest, UnsupportedFeature, ConfigurationError)):
        message = f"{flag}: {_INVALID_PREFIX.sub('', message)}"
        code = Exit.USAGE
    elif isinstance(exc, (InvalidRequest, UnsupportedFeature)):
        code = Exit.USAGE
    elif exc.retryable:
        code = Exit.TEMPORARY
    else:
        code = Exit.ERROR
    facts = [f"{name} {value}" for name, value in (
        ("provider", exc.provider if exc.provider and exc.provider.lower() not in message.lower() else None),
        ("HTTP", exc.http_status),
        ("code", exc.provider_code),
        ("request id", exc.request_id),
        ("setting", exc.field if flag is None and exc.field and exc.field not in message
         and "setting" not in message else None),
    ) if value is not None]
    if facts:
        message += f" ({', '.join(facts)})"
    return message, code


@contextmanager
def typed_as(flags: Mapping[str, str]) -> Iterator[None]:
    """Within the block, library errors about a request field name the flag the user typed instead."""
    try:
        yield
    except EkycError as exc:
        message, code = describe(exc, flags)
        raise CliError(message, code) from None


def one_line(text: str) -> str:
    """``text`` on one line (newlines and runs of spaces collapse)."""
    return " ".join(str(text).split())


def failure(exc: BaseException) -> tuple[str, Exit] | None:
    """The message and exit code for an exception a command may end with; None for a bug (re-raised)."""
    if isinstance(exc, CliError):
        return exc.message, exc.code
    if isinstance(exc, EkycError):
        return describe(exc)
    if isinstance(exc, _NO_ARGS):
        return None
    if isinstance(exc, _click.ClickException):
        message = exc.format_message().replace("Value error, ", "")
        ctx = getattr(exc, "ctx", None)
        if isinstance(exc, _click.UsageError) and ctx is not None:
            message += f" (see '{ctx.command_path} --help')"
        return message, Exit.USAGE if isinstance(exc, _click.UsageError) else Exit.ERROR
    if isinstance(exc, httpx.HTTPError):
        url = _request_url(exc)
        return f"cannot reach {url}: {type(exc).__name__}" if url else f"network error: {type(exc).__name__}", \
            Exit.TEMPORARY
    if isinstance(exc, OSError):
        if exc.errno == errno.EADDRINUSE:
            return "the address is already in use: another server (an earlier 'ekyc sandbox serve'?) holds the " \
                   "port; pick another with --port, or --port 0 for any free port", Exit.ERROR
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror or type(exc).__name__}{where}", Exit.ERROR
    from ..sandbox.server import SandboxError

    if isinstance(exc, SandboxError):
        return str(exc), Exit.ERROR
    return None


def _request_url(exc: httpx.HTTPError) -> str | None:
    try:
        url = exc.request.url
    except RuntimeError:
        return None
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")  # never the path or query


def run(main: Callable[[], Any]) -> int:
    """Run ``main`` (click's ``main`` in non-standalone mode) and turn how it ended into an exit code."""
    try:
        rv = main()
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        return Exit.INTERRUPTED
    except (getattr(_click, "Abort", typer.Abort), typer.Abort):
        sys.stderr.write("error: interrupted\n")
        return Exit.INTERRUPTED
    except _NO_ARGS as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")  # type: ignore[attr-defined]
        return Exit.USAGE
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # stdout closed early (`| head`): quietly
            return Exit.ERROR
        found = failure(exc)
        if found is None:
            if os.environ.get("EKYC_DEBUG"):
                raise
            found = (f"internal error ({type(exc).__name__}); please report it (EKYC_DEBUG=1 shows the traceback)",
                     Exit.ERROR)
        message, code = found
        sys.stderr.write(f"error: {one_line(message)}\n")
        return code
    return rv if isinstance(rv, int) else Exit.OK


class Group(TyperGroup):
    """The ``ekyc`` command group: every invocation (console script or test runner) ends through :func:`run`."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        standalone = kwargs.pop("standalone_mode", True)
        kwargs["standalone_mode"] = False
        if not standalone:
            return super().main(*args, **kwargs)
        kwargs.setdefault("prog_name", "ekyc")
        sys.exit(run(lambda: super(Group, self).main(*args, **kwargs)))


class Command(TyperCommand):
    """An ``ekyc`` command whose help shows arguments by their placeholder (``REF``), not ``{REF}`` / ``<str>``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, TyperArgument) and param.metavar:
                name = param.metavar
                param.display_type_rich = _no_type  # type: ignore[method-assign]
                param._usage_display_name = partial(str, name)  # type: ignore[method-assign]


def _no_type(ctx: Any) -> None:
    return None
