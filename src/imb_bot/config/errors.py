"""Configuration errors rendered as one clear line per problem."""

from __future__ import annotations

import re

from pydantic import ValidationError

from imb_bot.config.settings import ENV_PREFIX


class ConfigError(Exception):
    """The configuration is invalid; start-up must stop (exit code 2) with this message."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


_FIELD_IN_MESSAGE = re.compile(r"^(?P<field>[a-z][a-z0-9_]*)(\[[^\]]*\])?(?=:| must)")


def _describe(error: dict[str, object], secret_fields: set[str]) -> str:
    loc = error.get("loc") or ()
    parts = [str(part) for part in loc if isinstance(part, str)] if isinstance(loc, tuple) else []
    field = ".".join(parts) or "?"
    variable = ENV_PREFIX + "__".join(parts).upper()
    if error.get("type") == "extra_forbidden":
        return f"config error: unknown setting {field!r} ({variable} is not a known variable)"
    value = error.get("input")
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    named = _FIELD_IN_MESSAGE.match(message)
    if isinstance(value, dict) and named:
        # A cross-field check of a whole section/model: name the field its message is about.
        field_name = named.group("field")
        parts = [*parts, field_name] if field_name != (parts[-1] if parts else "") else parts
        variable = ENV_PREFIX + "__".join(parts).upper()
        message = message[named.end() :].lstrip(": ")
        if field_name in value:
            value = value[field_name]
        else:
            return f"config error: {variable} is invalid: {message}"
    shown = "***" if parts and parts[-1] in secret_fields else repr(value)
    if error.get("type") == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")  # type: ignore[attr-defined]
        message = f"allowed values are {str(expected).replace(' or ', ', ')}"
    return f"config error: {variable}={shown} is invalid: {message}"


def config_error_from_validation(exc: ValidationError, secret_fields: set[str]) -> ConfigError:
    """Translate a pydantic ``ValidationError`` into a :class:`ConfigError`."""
    errors = exc.errors(include_url=False)
    return ConfigError([_describe(dict(error), secret_fields) for error in errors])
