"""Binance-compatible Spot (testnet) REST simulator: an ASGI app run by ``imb-bot sim``.

Self-contained: imports only the standard library and third-party web/runtime libraries, never
the bot's engine, so it can act as an independent exchange in tests.
"""
