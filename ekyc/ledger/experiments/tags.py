"""What the ledger does not keep about a session and a bake-off needs: the split arm that chose its provider,
the country and the document type asked for.

One row per ledger session in the experiment's own table ``ekyc_experiment_sessions`` (created on first use,
next to the ledger's tables; the ledger never reads it). No personal data: the arm, an ISO country code and a
document type. Write it with :func:`start` (instead of ``ledger.start``) or :func:`tag` after your own start.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Engine, Float, MetaData, String, Table, insert, inspect, select

from ...models import SessionRequest
from ...routing import Route
from .. import Ledger, LedgerSession

metadata = MetaData()

tags = Table(
    "ekyc_experiment_sessions", metadata,
    Column("session_id", BigInteger, primary_key=True, autoincrement=False),
    Column("provider", String(32), nullable=False),
    Column("rule", String(128), nullable=True),
    Column("arm", String(200), nullable=False),
    Column("country", String(8), nullable=True),
    Column("document_type", String(32), nullable=True),
    Column("recorded_at", Float, nullable=False),
)

DEFAULT_RULE = "default"


def ensure(engine: Engine) -> None:
    """Create the experiment table if it does not exist (idempotent)."""
    if not inspect(engine).has_table(tags.name):
        metadata.create_all(engine, checkfirst=True)


def arm_of(route: Route | None, provider: str) -> str:
    """The split arm's label: ``rule:provider`` (``default:provider`` without a rule)."""
    rule = route.rule if route is not None and route.rule else DEFAULT_RULE
    return f"{rule}:{provider}"


def tag(ledger: Ledger, session: LedgerSession, request: SessionRequest, route: Route | None = None) -> None:
    """Record ``session``'s arm, country and document type (once: a reused session keeps its first row)."""
    if session.provider is None:
        return
    ensure(ledger.engine)
    doc = request.document_types[0].value if request.document_types else None
    with ledger.engine.begin() as conn:
        exists = conn.execute(select(tags.c.session_id).where(tags.c.session_id == session.id)).first()
        if exists is None:
            conn.execute(insert(tags).values(
                session_id=session.id, provider=session.provider,
                rule=route.rule if route is not None else None, arm=arm_of(route, session.provider),
                country=request.country, document_type=doc, recorded_at=session.created_at))


def start(ledger: Ledger, request: SessionRequest, *, provider: str | None = None, **fields: Any) -> LedgerSession:
    """``ledger.start(request)`` that also records the session's split arm, country and document type.

    The arm is what ``client.explain_route`` says for the request (the split is sticky per reference, so it is
    the arm the create took); a per-call ``provider`` override is the arm ``override:provider``. Raises what
    :meth:`ekyc.ledger.Ledger.start` raises.
    """
    if fields:
        request = request.replace(**fields)
    session = ledger.start(request=request, provider=provider)
    route: Route | None
    if provider is not None:
        route = Route(provider=provider, rule="override", reason="per-call provider")
    else:
        route = ledger.client.explain_route(request)
        if session.provider is not None and route.provider != session.provider:
            route = Route(provider=session.provider, rule="fallback", reason="fell back")
    tag(ledger, session, request, route)
    return session
