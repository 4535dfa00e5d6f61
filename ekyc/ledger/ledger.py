"""The two ledgers: :class:`Ledger` (blocking, over :class:`ekyc.Client`) and :class:`AsyncLedger` (asyncio, over
:class:`ekyc.AsyncClient`). Both run the same flows (:mod:`ekyc.ledger._flows`) and the same database steps
(:mod:`ekyc.ledger._store`), so their guarantees are the same; see ``docs/ledger.md``.
"""

from __future__ import annotations

import asyncio
import inspect
import math
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..client import AsyncClient, Client
from ..errors import ConfigurationError, EkycError, InvalidRequest
from ..models import SessionRef, SessionRequest
from ..provider import LinkReuse
from . import _flows as flows
from . import _store as store
from .engine import current_revision, head_revision, make_async_engine, make_engine, upgrade
from .model import LedgerError, LedgerSession, Policy, PurgeReport, Receipt, ReconcileReport
from .states import FAILED
from .vault import Vault

T = TypeVar("T")
REJECT_STATUS = flows.REJECT_STATUS
#: the extension operations ``purge`` calls to delete a session's data at the provider, first found wins:
#: ``delete_session(ref)`` (the name a Didit ``DELETE /v3/session/{id}/delete/`` operation would take) and
#: ``redact(ref)`` (Stripe Identity's ``POST /v1/identity/verification_sessions/{id}/redact``)
DELETE_OPERATIONS = ("delete_session", "redact")
#: the extension operation ``start`` calls for a fresh link to the same session when the provider's link works
#: once and it can renew it (:attr:`~ekyc.provider.LinkReuse.RENEWABLE`): ``fresh_link(ref)`` → the URL
RELINK_OPERATION = "fresh_link"


def _worker() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


#: the largest integer a row id, limit or offset may be (SQLite's and PostgreSQL's BIGINT)
MAX_INTEGER = 2**63 - 1


def _whole(value: Any, field: str, *, optional: bool = False) -> Any:
    """A non-negative integer argument (a row id, limit, offset), or :class:`InvalidRequest` naming it — never a
    database driver's OverflowError, nor a negative LIMIT (which SQLite reads as no limit)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INTEGER:
        raise InvalidRequest(f"{field} must be a whole number from 0 to {MAX_INTEGER}", field=field)
    return value


def _reference(reference: Any, *, optional: bool = False) -> Any:
    """A reference argument (the app's user reference): non-empty text, or :class:`InvalidRequest` naming it —
    never a query that matches nothing (``status(5)`` is no "no session")."""
    if reference is None and optional:
        return None
    if not isinstance(reference, str) or not reference:
        raise InvalidRequest("reference must be non-empty text", field="reference")
    return reference


def _seconds(older_than: float | timedelta) -> float:
    seconds = older_than.total_seconds() if isinstance(older_than, timedelta) else older_than
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
        raise InvalidRequest("older_than must be a non-negative number of seconds or a timedelta",
                             field="older_than")
    return float(seconds)


def _request(request: SessionRequest | None, reference: str | None, fields: Mapping[str, Any]) -> SessionRequest:
    reference = _reference(reference, optional=True)
    if request is None:
        if reference is None:
            raise InvalidRequest("start needs the user's reference", field="reference")
        return SessionRequest(reference=reference, **fields)
    if not isinstance(request, SessionRequest):
        raise InvalidRequest("expected a SessionRequest (or its fields as keyword arguments)", field="request")
    changes = dict(fields)
    if reference is not None:
        changes["reference"] = reference
    return request.replace(**changes) if changes else request


#: what the drivers say when a table does not exist (SQLite's message; PostgreSQL's SQLSTATE 42P01 as psycopg names
#: it, and the same through asyncpg): the ledger's tables were never created
_NO_TABLE = ("no such table", "UndefinedTable", "UndefinedTableError")


def _missing_schema(exc: SQLAlchemyError) -> bool:
    orig = getattr(exc, "orig", None)
    text = f"{type(orig).__name__} {orig}" if orig is not None else ""
    return any(marker in text for marker in _NO_TABLE) or getattr(orig, "sqlstate", None) == "42P01"


def _unavailable(exc: SQLAlchemyError) -> LedgerError:
    """A database failure as a typed error naming only its kind (never its SQL or parameters); when the ledger's
    tables do not exist, one that says how to create them (``field="schema"``)."""
    if _missing_schema(exc):
        return LedgerError("the ledger's tables do not exist: run ledger.migrate() (await it on an AsyncLedger) or "
                           "'ekyc ledger init' once before serving", field="schema", http_status=503)
    return LedgerError(f"the ledger database failed ({type(exc).__name__}); answer webhooks with 503 so the "
                       "provider retries", http_status=503)


def _boundary(exc: Exception) -> EkycError:
    """What leaves the ledger: an :class:`EkycError` as is (chain dropped), a database failure as
    :class:`LedgerError` (``http_status=503``), anything else as :class:`LedgerError` naming only its type."""
    if isinstance(exc, EkycError):
        exc.__cause__ = exc.__context__ = None
        return exc
    if isinstance(exc, SQLAlchemyError):
        return _unavailable(exc)
    return LedgerError(f"the ledger failed on unexpected input ({type(exc).__name__})", http_status=503)


class _Base:
    def __init__(self, client: Client | AsyncClient, key: str | bytes | Sequence[str | bytes] | None,
                 policy: Policy | None, clock: Callable[[], float] | None, worker: str | None) -> None:
        if policy is not None and not isinstance(policy, Policy):
            raise ConfigurationError("policy must be an ekyc.ledger.Policy (or None: the default rules)",
                                     field="policy")
        if clock is not None and not callable(clock):
            raise ConfigurationError("clock must be a callable returning the time in seconds (or None)",
                                     field="clock")
        if worker is not None and (not isinstance(worker, str) or not worker):
            raise ConfigurationError("worker must be a non-empty name (or None: host:pid)", field="worker")
        self.client = client
        self.vault = Vault.from_env() if key is None else Vault(key)
        self.policy = policy or Policy()
        self._ctx = flows.Context(providers=lambda: client.providers, link_reuse=self._link_reuse,
                                  parse_webhook=client.parse_webhook,
                                  parse_return_url=client.parse_return_url, vault=self.vault, policy=self.policy,
                                  clock=clock or time.time,
                                  worker=worker or _worker())

    def _link_reuse(self, provider: str) -> LinkReuse:
        """The provider's :class:`LinkReuse` (its capabilities); REUSABLE when it is no longer configured."""
        try:
            return self.client.adapter(provider).capabilities.link
        except ConfigurationError:
            return LinkReuse.REUSABLE

    def _relink_operation(self, ref: SessionRef) -> Callable[[SessionRef], Any] | None:
        """The provider's ``fresh_link`` operation (:data:`RELINK_OPERATION`); None when it has none."""
        try:
            ext = self.client.extension(ref.provider)
        except ConfigurationError:
            return None
        operation = getattr(ext, RELINK_OPERATION, None)
        return operation if callable(operation) else None

    def _delete_operation(self, ref: SessionRef) -> Callable[[SessionRef], Any] | None:
        """The provider's own delete or redact operation for a session, where its extension has one
        (:data:`DELETE_OPERATIONS`, e.g. Stripe's ``redact``); None when it has none."""
        try:
            ext = self.client.extension(ref.provider)
        except ConfigurationError:
            return None
        for name in DELETE_OPERATIONS:
            operation = getattr(ext, name, None)
            if callable(operation):
                return operation  # type: ignore[no-any-return]
        return None


class Ledger(_Base):
    """The verification ledger over a blocking :class:`~ekyc.Client`.

    ``database`` is a file path (SQLite, the embedded default), a database URL (``postgresql://…`` for several
    app processes) or an SQLAlchemy :class:`~sqlalchemy.Engine`. ``key`` is the Fernet key (or keys, newest
    first) that seals personal data and payloads at rest; None reads ``EKYC_LEDGER_KEY``, and without any key
    nothing personal is stored. Create the tables once with :meth:`migrate` (or ``ekyc ledger init``).
    """

    def __init__(self, database: str | Path | Engine, client: Client, *,
                 key: str | bytes | Sequence[str | bytes] | None = None, policy: Policy | None = None,
                 clock: Callable[[], float] | None = None, worker: str | None = None) -> None:
        if not isinstance(client, Client):
            raise ConfigurationError("Ledger needs an ekyc.Client (AsyncLedger takes an AsyncClient)",
                                     field="client")
        super().__init__(client, key, policy, clock, worker)
        self.engine: Engine = database if isinstance(database, Engine) else make_engine(database)
        self._sync_client = client

    # -- the driver ----------------------------------------------------------------------------------
    def _run(self, flow: flows.Flow[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: T = stop.value
                return result
            except Exception as exc:
                raise _boundary(exc) from None
            value, error = None, None
            try:
                value = self._perform(effect)
            except Exception as exc:
                error = exc
            except BaseException as exc:  # KeyboardInterrupt, SystemExit: the flow undoes its claim, then out
                self._unwind(flow, exc)
                raise

    def _unwind(self, flow: flows.Flow[Any], exc: BaseException) -> None:
        """Throw ``exc`` into ``flow`` and perform only the database steps it takes to clean up (a start's claim
        marked FAILED), then drop it."""
        try:
            effect = flow.throw(exc)
            while isinstance(effect, flows.Tx):
                effect = flow.send(self._perform(effect))
        except BaseException:  # the original exception is what the caller sees
            pass
        finally:
            flow.close()

    def _perform(self, effect: flows.Effect) -> Any:
        if isinstance(effect, flows.Tx):
            with self.engine.begin() as conn:
                return effect.fn(conn, *effect.args, **effect.kwargs)
        if isinstance(effect, flows.Create):
            return self._sync_client.create_session(effect.request, provider=effect.provider)
        if isinstance(effect, flows.Fetch):
            return self._sync_client.get_result(effect.ref)
        if isinstance(effect, flows.Delete):
            operation = self._delete_operation(effect.ref)
            if operation is None:
                return False
            operation(effect.ref)
            return True
        if isinstance(effect, flows.Relink):
            relink = self._relink_operation(effect.ref)
            return None if relink is None else relink(effect.ref)
        if isinstance(effect, flows.Sleep):
            time.sleep(effect.seconds)
            return None
        raise AssertionError(f"unknown effect {effect!r}")  # pragma: no cover

    def _read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            with self.engine.begin() as conn:
                return fn(conn, *args, **kwargs)
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None

    # -- set-up --------------------------------------------------------------------------------------
    def migrate(self) -> str:
        """Create or upgrade the ledger's tables (Alembic); returns the revision now in force."""
        try:
            with self.engine.begin() as conn:
                upgrade(conn)
                return current_revision(conn) or ""
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None

    def revision(self) -> tuple[str | None, str]:
        """``(the database's revision or None, the newest this package ships)``."""
        return self._read(current_revision), head_revision()

    # -- the API -------------------------------------------------------------------------------------
    def start(self, reference: str | None = None, request: SessionRequest | None = None, *,
              provider: str | None = None, **fields: Any) -> LedgerSession:
        """The reference's one session: the one that holds its slot (``reused=True``), or a new one.

        A new session is created only when none holds the slot, or when the holder's outcome is in
        ``policy.restart_after`` (by default declined, expired, abandoned or error). Safe across processes:
        the database's unique index lets one claim win; the others wait for it (:class:`LedgerBusy` after 10 s).
        A process that dies between the claim and recording the provider's session leaves a ``STARTING`` claim
        that is recovered after ``policy.claim_timeout``. Raises what ``create_session`` raises (the claim is
        then released) and :class:`LedgerError`.
        """
        return self._run(flows.start(self._ctx, _request(request, reference, fields), provider))

    def receive(self, provider: str, body: bytes, headers: Mapping[str, str] | None = None) -> Receipt:
        """Take one webhook/callback delivery as received: verify it, store it first, de-duplicate it (the
        provider's event id, else the body's SHA-256), then apply it to its session idempotently.

        Answer the provider with ``receipt.http_status``. A delivery that fails verification is counted without
        its body — one row per provider and UTC day (``attempts``), so forged traffic cannot grow the inbox, and
        :meth:`purge` removes the old rows — and answered so the vendor does not retry it. When the database fails,
        :class:`LedgerError` with ``http_status=503`` (the vendor retries). For Alibaba's GET callback pass the
        full callback URL (or its query string) as ``body``.
        """
        return self._run(flows.receive(self._ctx, provider, body, headers or {}))

    def refresh(self, reference: str, *, return_url: Any = None) -> LedgerSession:
        """Bring the reference's session up to date now — when its user comes back from the provider — and return
        it as the ledger then holds it.

        The session acted on is the reference's newest provider session (a ``STARTING`` or ``FAILED`` claim is
        skipped). With ``return_url`` (the URL the user's browser came back on: a str, bytes or a URL object),
        it must name that stored session (``Client.parse_return_url(url, provider, expected=stored_ref)``, in
        constant time) — or one of the reference's sessions a ``start`` superseded (its single-use page finished in
        another tab), which is then the one acted on; else :class:`~ekyc.errors.SessionMismatch` (another
        session, e.g. someone else's link) or :class:`~ekyc.errors.WebhookVerificationError` (a URL the
        provider's parser does not recognize) is raised, an audit row ``return-refused`` is written and nothing
        else changes. The URL is only a signal:
        its status hints are never read.

        Then the provider's result is fetched (``get_result``) and applied exactly as the reconciler applies a
        poll: idempotent, forward only (a final state is never overturned; an approval becomes ``EXPIRED`` only on
        the provider's documented lapse), with an audit row for every change or ignored observation. A session
        already ``DECLINED``, ``EXPIRED`` or ``ABANDONED`` is returned without a fetch; a purged one without a
        fetch, or :class:`NoSession` when a ``return_url`` cannot be checked against it.

        Raises :class:`NoSession` (``http_status=404``) when the reference has no provider session; what
        ``get_result`` raises (the failure is noted in the audit trail and the reconciler polls the session
        soon; the stored state is unchanged), and :class:`LedgerError` when the database fails.
        """
        return self._run(flows.refresh(self._ctx, _reference(reference), return_url))

    def reconcile(self, limit: int = 100) -> ReconcileReport:
        """One pass of the reconciler: recover stale claims, apply stored deliveries that were never applied,
        poll up to ``limit`` sessions that are due (backoff ``policy.schedule``) and expire the ones past their
        deadline. Safe to run from several workers at once (rows are leased)."""
        return self._run(flows.reconcile(self._ctx, _whole(limit, "limit")))

    def purge(self, older_than: float | timedelta, *, limit: int = 1000,
              provider_delete: bool = True) -> PurgeReport:
        """Remove the personal data, links and refs of sessions decided more than ``older_than`` ago, the
        stored bodies of deliveries received before then and the rows counting rejected deliveries whose last
        one came before then; the audit trail stays. With ``provider_delete``, the
        provider's own delete operation is called first where it has one."""
        return self._run(flows.purge(self._ctx, _seconds(older_than), _whole(limit, "limit"), provider_delete))

    def status(self, reference: str) -> LedgerSession | None:
        """The reference's verification as the ledger knows it: an approved session if there is one (even an
        older one that was approved late), else the newest session. None when it has none."""
        rows = self._read(store.sessions_of, _reference(reference), None, 1000)
        return _status(self._ctx, rows)

    def session(self, session_id: int) -> LedgerSession | None:
        row = self._read(store.session, _whole(session_id, "session_id"))
        return None if row is None else flows.to_session(self._ctx, row)

    def sessions(self, reference: str | None = None, state: str | None = None, limit: int = 100,
                 offset: int = 0, *, secrets: bool = True) -> list[LedgerSession]:
        """Sessions, newest first. ``secrets=False`` leaves each ``ref``/``url`` unopened (None): a listing of
        states that works without the ledger's key. Raises ConfigurationError when ``secrets`` is true and a sealed
        ref cannot be opened (no key, or another key)."""
        rows = self._read(store.sessions_of, _reference(reference, optional=True), state,
                          _whole(limit, "limit"), _whole(offset, "offset"))
        return [flows.to_session(self._ctx, r, secrets=secrets) for r in rows]

    def events(self, session_id: int | None = None, reference: str | None = None, limit: int = 100,
               after: int = 0) -> list[dict[str, Any]]:
        """Audit rows, oldest first (``after``: the last id seen)."""
        rows = self._read(store.events, _whole(session_id, "session_id", optional=True),
                          _reference(reference, optional=True),
                          _whole(limit, "limit"), _whole(after, "after"))
        return [dict(r._mapping) for r in rows]

    def last_event_id(self) -> int:
        """The newest audit row's id (0 when there is none): a cursor taken before a call, so that
        ``events(session_id=…, after=cursor)`` afterwards lists what happened since (e.g. which state change a
        ``refresh`` or a webhook delivery made)."""
        return self._read(store.last_event_id)

    def stats(self) -> dict[str, Any]:
        """Counts by state and the ages to monitor (see docs/ledger.md)."""
        return self._read(store.counts, self._ctx.clock())

    def personal_data(self, session_id: int) -> dict[str, Any] | None:
        """The sealed decision (identity, checks, raw payload) of a session, opened with the key; None when not
        kept or purged."""
        row = self._read(store.session, _whole(session_id, "session_id"))
        return _personal(self.vault, row)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncLedger(_Base):
    """:class:`Ledger` over an :class:`~ekyc.AsyncClient`, with coroutine methods and the same semantics.

    ``database`` as for :class:`Ledger` (SQLite through aiosqlite, PostgreSQL through psycopg 3), or an
    SQLAlchemy :class:`~sqlalchemy.ext.asyncio.AsyncEngine`.
    """

    def __init__(self, database: str | Path | AsyncEngine, client: AsyncClient, *,
                 key: str | bytes | Sequence[str | bytes] | None = None, policy: Policy | None = None,
                 clock: Callable[[], float] | None = None, worker: str | None = None) -> None:
        if not isinstance(client, AsyncClient):
            raise ConfigurationError("AsyncLedger needs an ekyc.AsyncClient (Ledger takes a Client)",
                                     field="client")
        super().__init__(client, key, policy, clock, worker)
        self.engine: AsyncEngine = database if isinstance(database, AsyncEngine) else make_async_engine(database)
        self._async_client = client

    async def _run(self, flow: flows.Flow[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                effect = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: T = stop.value
                return result
            except Exception as exc:
                raise _boundary(exc) from None
            value, error = None, None
            try:
                value = await self._perform(effect)
            except Exception as exc:
                error = exc
            except BaseException as exc:  # the request was cancelled (a timeout, a disconnect): the flow undoes
                # its claim — shielded from the cancellation — and the cancellation goes on
                await asyncio.shield(self._unwind(flow, exc))
                raise

    async def _unwind(self, flow: flows.Flow[Any], exc: BaseException) -> None:
        """See :meth:`Ledger._unwind`."""
        try:
            effect = flow.throw(exc)
            while isinstance(effect, flows.Tx):
                effect = flow.send(await self._perform(effect))
        except BaseException:  # the original exception is what the caller sees
            pass
        finally:
            flow.close()

    async def _perform(self, effect: flows.Effect) -> Any:
        if isinstance(effect, flows.Tx):
            async with self.engine.begin() as conn:
                return await conn.run_sync(_call, effect.fn, effect.args, effect.kwargs)
        if isinstance(effect, flows.Create):
            return await self._async_client.create_session(effect.request, provider=effect.provider)
        if isinstance(effect, flows.Fetch):
            return await self._async_client.get_result(effect.ref)
        if isinstance(effect, flows.Delete):
            operation = self._delete_operation(effect.ref)
            if operation is None:
                return False
            result = operation(effect.ref)
            if inspect.isawaitable(result):
                await result
            return True
        if isinstance(effect, flows.Relink):
            relink = self._relink_operation(effect.ref)
            if relink is None:
                return None
            url = relink(effect.ref)
            return (await url) if inspect.isawaitable(url) else url
        if isinstance(effect, flows.Sleep):
            await asyncio.sleep(effect.seconds)
            return None
        raise AssertionError(f"unknown effect {effect!r}")  # pragma: no cover

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        try:
            async with self.engine.begin() as conn:
                result: T = await conn.run_sync(_call, fn, args, {})
                return result
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None

    async def migrate(self) -> str:
        """See :meth:`Ledger.migrate`."""
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(upgrade)
                return await conn.run_sync(current_revision) or ""
        except SQLAlchemyError as exc:
            raise _unavailable(exc) from None

    async def start(self, reference: str | None = None, request: SessionRequest | None = None, *,
                    provider: str | None = None, **fields: Any) -> LedgerSession:
        """See :meth:`Ledger.start`."""
        return await self._run(flows.start(self._ctx, _request(request, reference, fields), provider))

    async def receive(self, provider: str, body: bytes, headers: Mapping[str, str] | None = None) -> Receipt:
        """See :meth:`Ledger.receive`."""
        return await self._run(flows.receive(self._ctx, provider, body, headers or {}))

    async def refresh(self, reference: str, *, return_url: Any = None) -> LedgerSession:
        """See :meth:`Ledger.refresh`."""
        return await self._run(flows.refresh(self._ctx, _reference(reference), return_url))

    async def reconcile(self, limit: int = 100) -> ReconcileReport:
        """See :meth:`Ledger.reconcile`."""
        return await self._run(flows.reconcile(self._ctx, _whole(limit, "limit")))

    async def purge(self, older_than: float | timedelta, *, limit: int = 1000,
                    provider_delete: bool = True) -> PurgeReport:
        """See :meth:`Ledger.purge`."""
        return await self._run(flows.purge(self._ctx, _seconds(older_than), _whole(limit, "limit"), provider_delete))

    async def status(self, reference: str) -> LedgerSession | None:
        """See :meth:`Ledger.status`."""
        return _status(self._ctx, await self._read(store.sessions_of, _reference(reference), None, 1000))

    async def session(self, session_id: int) -> LedgerSession | None:
        row = await self._read(store.session, _whole(session_id, "session_id"))
        return None if row is None else flows.to_session(self._ctx, row)

    async def sessions(self, reference: str | None = None, state: str | None = None, limit: int = 100,
                       offset: int = 0, *, secrets: bool = True) -> list[LedgerSession]:
        """As :meth:`Ledger.sessions`."""
        rows = await self._read(store.sessions_of, _reference(reference, optional=True), state,
                                _whole(limit, "limit"), _whole(offset, "offset"))
        return [flows.to_session(self._ctx, r, secrets=secrets) for r in rows]

    async def events(self, session_id: int | None = None, reference: str | None = None, limit: int = 100,
                     after: int = 0) -> list[dict[str, Any]]:
        rows = await self._read(store.events, _whole(session_id, "session_id", optional=True),
                                _reference(reference, optional=True),
                                _whole(limit, "limit"), _whole(after, "after"))
        return [dict(r._mapping) for r in rows]

    async def last_event_id(self) -> int:
        """See :meth:`Ledger.last_event_id`."""
        return await self._read(store.last_event_id)

    async def stats(self) -> dict[str, Any]:
        return await self._read(store.counts, self._ctx.clock())

    async def personal_data(self, session_id: int) -> dict[str, Any] | None:
        return _personal(self.vault, await self._read(store.session, _whole(session_id, "session_id")))

    async def aclose(self) -> None:
        await self.engine.dispose()

    async def __aenter__(self) -> AsyncLedger:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _call(conn: Connection, fn: Callable[..., T], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> T:
    return fn(conn, *args, **kwargs)


def _status(ctx: flows.Context, rows: Sequence[Any]) -> LedgerSession | None:
    rows = [r for r in rows if r.state != FAILED]
    for r in rows:
        if r.state == "APPROVED":
            return flows.to_session(ctx, r)
    return flows.to_session(ctx, rows[0]) if rows else None


def _personal(vault: Vault, row: Any) -> dict[str, Any] | None:
    import json

    if row is None or row.personal is None:
        return None
    data: dict[str, Any] = json.loads(vault.open(row.personal))
    return data


__all__ = ["AsyncLedger", "EkycError", "Ledger"]
