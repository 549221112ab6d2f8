"""Types shared by the response schemas: decimals travel as strings in plain notation."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

from imb_bot.db.types import format_decimal

__all__ = ["DecimalStr"]

DecimalStr = Annotated[
    Decimal,
    PlainSerializer(format_decimal, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["0.00125"]},
    ),
]
"""An exact decimal, serialised as a plain-notation string (``"0.00000001"``, never ``1E-8``)."""
