"""Pure trading domain: models, indicators, strategies, risk, execution sizing, portfolio.

May import only the standard library, numpy and TA-Lib. No I/O, no clock, no asyncio, no
logging in hot paths, no FastAPI/SQLAlchemy/ccxt: the same objects run in backtest, paper and live.
"""
