"""Exchange access through ccxt: connector, error taxonomy and retry policy, market rules.

May import ``core`` (models) and ``config``. ``exchange.sim`` is the Binance-compatible simulator
and imports nothing from the bot except ``core``-free helpers of its own.
"""
