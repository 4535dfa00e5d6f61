"""Settings of the example app: a plain Django project plus ``ekyc.integrations.django`` on the local sandbox.

Demo-only values (a fixed SECRET_KEY, DEBUG) are marked; everything else is what a real app sets. Data (the
SQLite database that holds both Django's tables and the ledger's, and the demo's ledger key) goes to
``$KYCDEMO_DATA`` (default: a folder in the system's temp directory), never into the repository.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ekyc.ledger import generate_key

DATA = Path(os.environ.get("KYCDEMO_DATA") or Path(tempfile.gettempdir()) / "ekyc-django-demo")
DATA.mkdir(parents=True, exist_ok=True)


def _demo_key() -> str:
    """The demo's ledger key, made once per data folder (a real app reads EKYC_LEDGER_KEY from its secrets)."""
    path = DATA / "ledger.key"
    if not path.exists():
        path.write_text(generate_key(), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = os.environ.get("KYCDEMO_SECRET_KEY", "demo-only-not-a-secret")  # demo only
DEBUG = os.environ.get("KYCDEMO_DEBUG", "1") == "1"  # demo only (serves the admin's CSS)
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ekyc.integrations.django",  # the ledger's models, admin, views, commands and the decision_received signal
    "kycdemo",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "kycdemo.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
WSGI_APPLICATION = "kycdemo.wsgi.application"
DATABASES = {"default": {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": DATA / "kycdemo.sqlite3",
    "TEST": {"NAME": DATA / "kycdemo-test.sqlite3"},  # the ledger needs a file, also under `manage.py test`
}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_SAMESITE = "Lax"
USE_TZ = True

EKYC = {
    "DATABASE": "default",
    "LEDGER_KEY": os.environ.get("EKYC_LEDGER_KEY") or _demo_key(),
    # the served sandbox (kycdemo/sandbox.py); a real app leaves this out: ekyc.Client() reads EKYC_* settings
    "CLIENT": "kycdemo.sandbox.client",
    "PROVIDER": os.environ.get("KYCDEMO_PROVIDER", "didit"),
    "AFTER_RETURN": "/",
    "REQUEST_FIELDS": {"checks": ["document", "liveness", "face_match"]},
}
