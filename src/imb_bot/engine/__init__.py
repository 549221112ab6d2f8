"""Trading loop, bot lifecycle (start/stop/halt) and the order manager (intent → submit → track).

The imperative shell around ``core``: may import ``core``, ``config``, ``exchange``, ``brokers``,
``db`` and ``monitoring``; must not import ``api``.
"""
