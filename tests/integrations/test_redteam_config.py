"""Config refuses every wrong kind of origin with a ConfigurationError naming the field (red team:
``Config(public_origin=5)`` and ``Config(allowed_origins=5)`` raised a bare TypeError)."""

from __future__ import annotations

from typing import Any

import pytest

from ekyc.errors import ConfigurationError
from ekyc.integrations import Config


@pytest.mark.parametrize(("field", "value"), [
    ("public_origin", 5), ("public_origin", b"https://app.example"), ("public_origin", ["https://app.example"]),
    ("allowed_origins", 5), ("allowed_origins", b"https://app.example"), ("allowed_origins", [5]),
    ("allowed_origins", {"https://app.example": 1}),
])
def test_a_wrong_origin_is_a_configuration_error(field: str, value: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Config(**{field: value})
    assert caught.value.field == field


def test_ordinary_origins_still_work() -> None:
    config = Config(public_origin="https://app.example", allowed_origins=["https://b.example"])
    assert config.public_origin == "https://app.example" and config.allowed_origins == ("https://b.example",)
    assert Config(allowed_origins=("https://b.example",), public_origin=None).allowed_origins == ("https://b.example",)
