"""Application settings: config file + ``IMB_*`` env vars, validation and redaction.

May import the standard library, pydantic, pydantic-settings and the pure ``core`` configs.
"""

from imb_bot.config.errors import ConfigError
from imb_bot.config.loading import load_settings
from imb_bot.config.settings import LogFormat, Settings, TradingMode

__all__ = ["ConfigError", "LogFormat", "Settings", "TradingMode", "load_settings"]
