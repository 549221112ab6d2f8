"""Backtests: replay candles through the same ``core`` objects and the paper broker.

May import ``core`` and ``brokers``.
"""
