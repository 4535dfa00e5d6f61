"""``manage.py demo``: the whole example with one command — migrate (Django's tables and the ledger's), create
the test users, serve the sandbox (its webhooks come back here) and this app on loopback."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import UserManager
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.servers.basehttp import run
from django.core.wsgi import get_wsgi_application
from django.test.utils import override_settings

from ekyc import registry

from ... import sandbox

USERS = ("alice", "bob", "carol")
PASSWORD = "kyc-demo"


def create_users() -> None:
    """The test users (password :data:`PASSWORD`), created once."""
    users = cast("UserManager[Any]", get_user_model()._default_manager)  # the example's model is Django's User
    for name in USERS:
        if not users.filter(username=name).exists():
            users.create_user(name, password=PASSWORD, is_staff=name == "alice",
                                      is_superuser=name == "alice")


class Command(BaseCommand):
    help = "Run the example app and the local sandbox on loopback (no credentials needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--provider", default=None, help="the sandbox provider to verify with (default: "
                                                             "$KYCDEMO_PROVIDER, else didit)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["provider"] is not None and options["provider"] not in registry.names():
            raise CommandError(f"--provider must be one of {', '.join(registry.names())}")
        call_command("migrate", verbosity=0)
        create_users()
        app_url = f"http://127.0.0.1:{options['port']}"
        served = sandbox.start(app_url)
        ekyc = {**settings.EKYC, **({"PROVIDER": options["provider"]} if options["provider"] else {})}
        with override_settings(EKYC=ekyc):
            self.stdout.write(f"Sandbox (every provider's hosted page) at {served.base_url}\n"
                              f"Open {app_url}/ and sign in as alice, bob or carol (password {PASSWORD}); "
                              f"provider: {ekyc['PROVIDER']}. The admin is at {app_url}/admin/ (alice).\n"
                              "Ctrl-C to stop.")
            try:
                run("127.0.0.1", options["port"], StaticFilesHandler(get_wsgi_application()), threading=True)
            except KeyboardInterrupt:
                pass
            finally:
                sandbox.stop()
