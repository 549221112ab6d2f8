"""Brokers that execute orders: the paper broker (simulated fills) and the live testnet broker.

May import ``core``, ``config`` and ``exchange``.
"""
