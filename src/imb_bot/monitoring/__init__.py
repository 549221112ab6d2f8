"""Observability: structured JSON logging with secret redaction, metrics, alerts.

May import ``config`` only.
"""
