"""deploy/.env.example stays true to the settings: every example is valid, every setting listed."""

from __future__ import annotations

import re
from pathlib import Path

from imb_bot.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / ".env.example"
_LINE = re.compile(r"^#?(IMB_[A-Z0-9_]+)=(.*)$")
# Placeholders for secrets and compose-only values are not settings to validate here.
_NOT_VALIDATED = {
    "IMB_DB_PASSWORD",
    "IMB_CONFIG",
    "IMB_EXCHANGE_API_KEY",
    "IMB_EXCHANGE_API_SECRET",
}


def _examples() -> dict[str, str]:
    found = {}
    for line in EXAMPLE.read_text().splitlines():
        match = _LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_env_example_when_every_example_applied_is_a_valid_configuration() -> None:
    env = {k: v for k, v in _examples().items() if k not in _NOT_VALIDATED and v}
    settings = load_settings(environ=env)
    assert settings.risk.max_order_notional_quote is not None


def test_env_example_lists_every_flat_setting() -> None:
    listed = set(_examples())
    for name, info in Settings.model_fields.items():
        if info.annotation is not None and hasattr(info.annotation, "model_fields"):
            continue  # nested sections are shown field by field as IMB_<SECTION>__<FIELD>
        assert f"IMB_{name.upper()}" in listed, f"IMB_{name.upper()} missing in .env.example"
