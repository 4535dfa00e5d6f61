"""One canonical name per provider setting in the set-up docs: ``EKYC_<PROVIDER>_<FIELD>`` — what ``ekyc sandbox
serve`` prints, valid for every field of every provider, and the one that wins when both are set. The vendors' own
variables (``DIDIT_API_KEY``, ``TENCENTCLOUD_SECRET_ID``…) are accepted too, and the docs say so where they name
them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ekyc import Settings, registry
from ekyc.cli.serve import banner
from ekyc.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
#: the documents a new user sets a provider up from
SETUP_DOCS = ("README.md", "docs/integrations.md", "docs/configuration.md", "examples/django_app/kycdemo/sandbox.py")
CANONICAL = "EKYC_<PROVIDER>_<FIELD>"


def _aliases() -> dict[str, str]:
    """Each vendor variable → the canonical variable of the same setting."""
    out = {}
    for name in registry.names():
        model = registry.load(name).settings_model
        for field, names in model.env_aliases.items():
            for alias in names:
                out[alias] = f"EKYC_{name.upper()}_{field.upper()}"
    return out


def test_the_canonical_name_wins_over_the_vendors() -> None:
    sandbox = Sandbox()
    tried = 0
    for alias, canonical in _aliases().items():
        provider = canonical.split("_")[1].lower()
        field = canonical.split("_", 2)[2].lower()
        valid = {k: str(v) for k, v in sandbox.client_settings(provider).items()}
        if field not in valid:
            continue
        env = {f"EKYC_{provider.upper()}_{k.upper()}": v for k, v in valid.items()}
        settings = Settings.from_env({**env, alias: valid[field] + "-from-the-vendor-variable"})
        assert settings.providers[provider][field] == valid[field], alias
        tried += 1
    assert tried >= 4


@pytest.mark.parametrize("doc", SETUP_DOCS)
def test_the_setup_docs_name_vendor_variables_only_as_accepted_aliases(doc: str) -> None:
    """A section that names a vendor's own variable also names the canonical form and says the vendor's is
    accepted; a Didit key is set as ``EKYC_DIDIT_API_KEY``."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    aliases = _aliases()
    for paragraph in re.split(r"\n(?=##+ )", text):
        named = [a for a in aliases if re.search(rf"(?<![A-Z0-9_]){a}(?![A-Z0-9_])", paragraph)]
        if named:
            assert CANONICAL in paragraph and "accepted" in paragraph, (doc, named, paragraph[:200])
    if doc in ("README.md", "docs/integrations.md"):
        assert "EKYC_DIDIT_API_KEY" in text


def test_the_serve_banner_prints_the_canonical_names() -> None:
    text = banner(Sandbox(), "didit")
    assert "export EKYC_DIDIT_API_KEY=" in text
    assert not re.search(r"^export DIDIT_", text, re.M)
