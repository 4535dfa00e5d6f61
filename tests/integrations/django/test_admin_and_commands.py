"""The read-only admin (no personal data, no ref, no link; re-fetch and reconcile actions), the management
commands, the models against the ledger's schema, and the settings checks."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest

from ekyc.ledger import Policy
from ekyc.ledger.schema import metadata
from ekyc.sandbox import PERSON

from .conftest import Kyc

CANARIES = [str(PERSON["given_name"]), str(PERSON["family_name"]), str(PERSON["document_number"]),
            PERSON["date_of_birth"].isoformat(), PERSON["date_of_birth"].strftime("%d/%m/%Y")]  # type: ignore[union-attr]


def _admin(kyc: Kyc) -> Any:
    from django.test import Client as DjangoClient

    staff = kyc.user(is_staff=True, is_superuser=True)
    client = DjangoClient()
    client.force_login(staff)
    return client


def _pages(admin: Any, model: str, object_id: int) -> list[str]:
    pages = []
    for url in (f"/admin/ekyc/{model}/", f"/admin/ekyc/{model}/{object_id}/change/"):
        answer = admin.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        pages.append(answer.content.decode())
    return pages


def test_the_admin_shows_states_and_the_audit_trail_but_nothing_personal(kyc: Kyc) -> None:
    from ekyc.integrations.django.models import AuditEvent, Delivery

    user = kyc.user()
    browser = kyc.browser(user)
    hosted = kyc.start(browser)["Location"]
    browser.get(kyc.finish(hosted, "approved"))
    for delivery in kyc.deliveries():
        kyc.post_webhook(delivery)
    session = kyc.session_of(user)
    assert session.state == "APPROVED" and session.ref is not None and session.url is not None
    personal = kyc.ledger.personal_data(session.id)
    assert personal is not None and str(PERSON["document_number"]) in json.dumps(personal)  # kept, sealed

    admin = _admin(kyc)
    delivery = Delivery.objects.filter(provider=kyc.provider).order_by("-id").first()
    audit = AuditEvent.objects.filter(session_id=session.id).order_by("-id").first()
    assert delivery is not None and audit is not None
    pages = [*_pages(admin, "session", session.id), *_pages(admin, "delivery", delivery.id),
             *_pages(admin, "auditevent", audit.id)]
    secrets = [session.ref.serialize(), session.ref.id, session.url, *CANARIES]
    for page in pages:
        for secret in secrets:
            assert secret not in page
    session_page = pages[1]
    assert "APPROVED" in session_page and str(user.pk) in session_page
    assert "advance" in session_page  # the audit trail inline
    # read-only: no add, no change, no delete
    assert admin.get("/admin/ekyc/session/add/").status_code == 403
    assert admin.post(f"/admin/ekyc/session/{session.id}/delete/", {"post": "yes"}).status_code == 403


def test_the_refetch_action_fetches_the_result_now(kyc: Kyc) -> None:
    user = kyc.user()
    browser = kyc.browser(user)
    kyc.finish(kyc.start(browser)["Location"], "face_mismatch")  # the user never comes back; no webhook posted
    session = kyc.session_of(user)
    assert session.state == "PENDING"
    admin = _admin(kyc)
    answer = admin.post("/admin/ekyc/session/", {"action": "refetch", "_selected_action": [str(session.id)]},
                        follow=True)
    assert answer.status_code == 200
    assert "Re-fetched 1 reference(s), 0 failed, 1 decided now" in answer.content.decode()  # (capitalized)
    assert kyc.session_of(user).state == "DECLINED"
    assert [(d["state"], d["source"]) for d in kyc.decisions] == [("DECLINED", "admin")]


def test_the_refetch_action_counts_decisions_without_any_receiver(kyc: Kyc, monkeypatch: pytest.MonkeyPatch) -> None:
    """The admin's count of what a re-fetch decided does not depend on an app having connected a receiver."""
    from ekyc.integrations.django.signals import decision_received

    user = kyc.user()
    kyc.finish(kyc.start(kyc.browser(user))["Location"], "approved")
    session = kyc.session_of(user)
    admin = _admin(kyc)
    monkeypatch.setattr(decision_received, "receivers", [])  # neither the test's nor the example app's
    assert not decision_received.has_listeners()
    answer = admin.post("/admin/ekyc/session/", {"action": "refetch", "_selected_action": [str(session.id)]},
                        follow=True)
    assert "Re-fetched 1 reference(s), 0 failed, 1 decided now" in answer.content.decode()
    assert kyc.session_of(user).state == "APPROVED" and kyc.decisions == []


def test_the_reconcile_action_and_command_poll_what_is_due(kyc: Kyc) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    with override_settings(EKYC={**settings.EKYC, "POLICY": Policy(schedule=(0.001,))}):
        users = [kyc.user(), kyc.user()]
        for user in users:
            kyc.finish(kyc.start(kyc.browser(user))["Location"], "approved")
        admin = _admin(kyc)
        answer = admin.post("/admin/ekyc/session/", {"action": "reconcile",
                                                     "_selected_action": [str(kyc.session_of(users[0]).id)]},
                            follow=True)
        assert re.search(r"Reconciled: polled=\d+, changed=\d+", answer.content.decode())
        out = io.StringIO()
        call_command("ekyc_reconcile", "--format", "json", stdout=out)
        report = json.loads(out.getvalue())
        assert set(report) >= {"polled", "changed", "expired", "failed", "repaired", "stale_claims"}
        assert report["failed"] == 0
        assert [kyc.session_of(u).state for u in users] == ["APPROVED", "APPROVED"]
        assert sorted(d["source"] for d in kyc.decisions) in (["admin", "admin"], ["admin", "reconcile"],
                                                             ["reconcile", "reconcile"])
        assert len(kyc.decisions) == 2  # once per session, whoever applied it


def test_reconcile_exits_5_when_a_provider_cannot_be_reached(kyc: Kyc) -> None:
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings

    with override_settings(EKYC={**settings.EKYC, "POLICY": Policy(schedule=(0.001,))}):
        user = kyc.user()
        kyc.finish(kyc.start(kyc.browser(user))["Location"], "approved")
        kyc.sandbox.set_fault(kyc.provider, "connect")
        out = io.StringIO()
        with pytest.raises(SystemExit) as exited:
            call_command("ekyc_reconcile", stdout=out)
        assert exited.value.code == 5
        assert re.search(r"failed=[1-9]", out.getvalue())
        assert kyc.session_of(user).state == "PENDING"
        kyc.sandbox.clear_faults()
        call_command("ekyc_reconcile", stdout=io.StringIO())  # the next pass retries
        assert kyc.session_of(user).state == "APPROVED"


def test_purge_removes_personal_data_and_keeps_states(kyc: Kyc) -> None:
    from django.core.management import call_command

    user = kyc.user()
    browser = kyc.browser(user)
    browser.get(kyc.finish(kyc.start(browser)["Location"], "approved"))
    session = kyc.session_of(user)
    assert kyc.ledger.personal_data(session.id) is not None
    out = io.StringIO()
    call_command("ekyc_purge", "--older-than", "0", "--format", "json", stdout=out)
    assert json.loads(out.getvalue())["sessions"] >= 1
    assert kyc.ledger.personal_data(session.id) is None
    assert kyc.session_of(user).state == "APPROVED" and kyc.session_of(user).ref is None
    assert kyc.status(browser)["state"] == "APPROVED"


def test_commands_refuse_bad_arguments(django_app: Any) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("ekyc_purge", "--older-than", "-1")
    with pytest.raises(CommandError):
        call_command("ekyc_reconcile", "--loop", "0")
    with pytest.raises(CommandError, match="limit"):
        call_command("ekyc_reconcile", "--limit", "-1")


def test_the_models_map_the_ledgers_schema_except_the_sealed_columns(django_app: Any) -> None:
    from ekyc.integrations.django.models import SEALED, AuditEvent, Delivery, Session

    for model in (Session, Delivery, AuditEvent):
        table = metadata.tables[model._meta.db_table]
        columns = {f.column: f for f in model._meta.concrete_fields}
        assert set(columns) == {c.name for c in table.columns} - SEALED[table.name], table.name
        for column in table.columns:
            if column.name in columns:
                assert columns[column.name].null == column.nullable, (table.name, column.name)
                length = getattr(column.type, "length", None)
                if length is not None:
                    assert columns[column.name].max_length == length, (table.name, column.name)
    with pytest.raises(TypeError):
        Session().save()


def test_migrate_creates_the_ledgers_tables_at_its_head_revision(django_app: Any) -> None:
    from django.core.management import call_command

    from ekyc.integrations.django.conf import get_ledger

    call_command("migrate", verbosity=0)  # idempotent: the ledger is upgraded on every run
    current, head = get_ledger().revision()
    assert current == head


def test_settings_are_checked_without_echoing_secrets(django_app: Any) -> None:
    from django.conf import settings
    from django.core.checks import run_checks
    from django.test.utils import override_settings

    from ekyc.errors import ConfigurationError
    from ekyc.integrations.django.conf import config, get_ledger

    with override_settings(EKYC={**settings.EKYC, "LEDGER_KEY": "sk-very-secret", "DATABSE": "typo"}):
        messages = [m for m in run_checks(tags=["ekyc"])]
        assert [m.id for m in messages] == ["ekyc.E001"]
        assert "DATABSE" in messages[0].msg and "sk-very-secret" not in messages[0].msg
    with override_settings(EKYC={**settings.EKYC, "AFTER_RETURN": "https://evil.example/"}), \
            pytest.raises(ConfigurationError, match="after_return"):
        config()
    with override_settings(EKYC={**settings.EKYC, "DATABASE": "other"}), pytest.raises(ConfigurationError):
        get_ledger()
    with override_settings(EKYC={k: v for k, v in settings.EKYC.items() if k != "LEDGER_KEY"}):
        assert [m.id for m in run_checks(tags=["ekyc"])] == ["ekyc.W001"]


def test_the_ledger_database_follows_djangos_settings(django_app: Any) -> None:
    from ekyc.errors import ConfigurationError
    from ekyc.integrations.django.conf import database_of
    from ekyc.ledger.engine import database_url

    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "USER": "kyc", "PASSWORD": "p@ss/word",
          "HOST": "db.internal", "PORT": "5433"}
    url = database_of(pg, "default")
    assert database_url(url) == "postgresql+psycopg://kyc:p%40ss%2Fword@db.internal:5433/app"
    assert database_of({"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/app.db"}, "default") == "/srv/app.db"
    for bad in ({"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
                {"ENGINE": "django.db.backends.sqlite3", "NAME": "file:memorydb_default?mode=memory&cache=shared"},
                {"ENGINE": "django.db.backends.mysql", "NAME": "app", "PASSWORD": "sk-secret"}):
        with pytest.raises(ConfigurationError) as caught:
            database_of(bad, "default")
        assert caught.value.field == "DATABASES.default" and "sk-secret" not in str(caught.value)


def test_the_docs_name_every_setting_and_command(django_app: Any) -> None:
    from pathlib import Path

    from ekyc.integrations.django.conf import KEYS

    text = (Path(__file__).resolve().parents[3] / "docs" / "integrations.md").read_text(encoding="utf-8")
    section = text.split("\n## Django\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (`[A-Z_]+`(?:, `[A-Z_]+`)*) \|", section, re.MULTILINE)
    documented = {key for row in rows for key in re.findall(r"`([A-Z_]+)`", row)}
    assert documented == KEYS
    for name in ("ekyc_reconcile", "ekyc_purge", "decision_received", "manage.py demo"):
        assert name in section
