"""Exchange access through ccxt: connector, error taxonomy and retry policy, market rules.

May import ``core`` (models), ``config``, ``secrets`` (credentials) and ccxt. ``exchange.sim`` is
the Binance-compatible simulator and imports nothing from the bot except ``core``-free helpers of
its own.
"""
