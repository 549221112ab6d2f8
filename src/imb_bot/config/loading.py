"""Build ``Settings`` from an optional YAML/TOML file plus ``IMB_*`` environment variables."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
)
from pydantic_settings.sources.utils import parse_env_vars

from imb_bot.config.errors import ConfigError, config_error_from_validation
from imb_bot.config.settings import Settings

CONFIG_ENV_VAR = "IMB_CONFIG"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [f"config error: cannot read config file {path}: {exc.strerror}"]
        ) from exc
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        elif path.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(
                [f"config error: config file {path} must end in .yaml, .yml or .toml"]
            )
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError([f"config error: config file {path} is not valid: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"config error: config file {path} must hold a mapping of settings"])
    return {str(key).lower(): value for key, value in data.items()}


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Return validated settings or raise :class:`ConfigError` naming each bad value.

    ``config_file`` defaults to ``$IMB_CONFIG``; environment variables win over the file;
    ``overrides`` (e.g. from CLI options) win over both.
    """
    env = os.environ if environ is None else environ
    if config_file is None and env.get(CONFIG_ENV_VAR):
        config_file = Path(env[CONFIG_ENV_VAR])
    file_values = _read_config_file(config_file) if config_file is not None else {}
    env_values = {k: v for k, v in env.items() if k.upper() != CONFIG_ENV_VAR}

    class _Loaded(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (
                init_settings,
                _MappingEnvSource(settings_cls, env_values),
                InitSettingsSource(settings_cls, init_kwargs=file_values),
            )

    secret_fields = {
        name for name, info in Settings.model_fields.items() if "SecretStr" in repr(info.annotation)
    }
    try:
        loaded = _Loaded(**overrides)
    except ValidationError as exc:
        raise config_error_from_validation(exc, secret_fields) from None
    return Settings.model_construct(
        **{name: getattr(loaded, name) for name in Settings.model_fields}
    )


class _MappingEnvSource(EnvSettingsSource):
    """pydantic-settings' env source reading an explicit mapping (testable, no global state).

    Nested sections use ``__``: ``IMB_RISK__MAX_ORDER_NOTIONAL_QUOTE=500``.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # read by _load_env_vars during super().__init__
        super().__init__(settings_cls, env_nested_delimiter="__", case_sensitive=False)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self._environ, False, self.env_ignore_empty, self.env_parse_none_str)


__all__ = ["CONFIG_ENV_VAR", "load_settings"]
