"""Response schemas of the API, one family per resource, separate from the database rows."""

from imb_bot.api.schemas.common import DecimalStr
from imb_bot.api.schemas.history import OrderPage, OrderPublic, TradePage, TradePublic
from imb_bot.api.schemas.positions import PositionList, PositionPublic

__all__ = [
    "DecimalStr",
    "OrderPage",
    "OrderPublic",
    "PositionList",
    "PositionPublic",
    "TradePage",
    "TradePublic",
]
