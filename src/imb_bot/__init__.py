"""IMB Trading Bot: an RSI/EMA crypto spot trading bot for the Binance Spot Testnet.

Sub-packages follow a functional core / imperative shell design (see docs/architecture.md):
``core`` is pure domain logic; ``engine``, ``exchange``, ``brokers``, ``db``, ``api``,
``monitoring`` and ``secrets`` are the shell around it; ``config`` holds the settings.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("imb-bot")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
