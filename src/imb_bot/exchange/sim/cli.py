"""``imb-bot sim``: run the Binance-compatible simulator until SIGINT/SIGTERM.

Every option has an ``IMB_SIM_*`` twin (command line wins). Numbers are taken as text and
validated by :class:`SimSettings`, so any bad value ends with exit code 2 and one line naming
the option.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from imb_bot.exchange.sim.config import SimConfig
    from imb_bot.exchange.sim.venue import Credentials

__all__ = ["sim_command"]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"imb-bot sim: {message}", err=True)
    return typer.Exit(code=2)


def _credentials(config: SimConfig) -> tuple[Credentials, bool]:
    # configured pair, else the first account of the state file, else a fresh demo pair
    from imb_bot.exchange.sim.persistence import load_state
    from imb_bot.exchange.sim.server import demo_credentials
    from imb_bot.exchange.sim.venue import Credentials

    if config.api_key is not None and config.api_secret is not None:
        return Credentials(config.api_key, config.api_secret), False
    if config.state is not None:
        saved = load_state(config.state)
        if saved and saved.get("accounts"):
            first = saved["accounts"][0]
            return Credentials(first["api_key"], first["secret"]), True
    return demo_credentials(), True


def sim_command(  # noqa: PLR0917 - typer maps each parameter to an option
    host: Annotated[str | None, typer.Option(help="Address to bind [127.0.0.1].")] = None,
    port: Annotated[str | None, typer.Option(help="TCP port, 0 = any free one [8100].")] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(help="SYMBOL=CSV: replay 1m candles from CSV for SYMBOL (repeatable)."),
    ] = None,
    speed: Annotated[
        str | None, typer.Option(help="Market clock speed × real time; 0 freezes it [1].")
    ] = None,
    seed: Annotated[str | None, typer.Option(help="Seed of prices and random faults [42].")] = None,
    api_key: Annotated[str | None, typer.Option(help="API key (default: a demo key).")] = None,
    api_secret: Annotated[str | None, typer.Option(help="API secret (with --api-key).")] = None,
    balance: Annotated[
        list[str] | None,
        typer.Option(help="ASSET=AMOUNT start balance (repeatable) [USDT=10000 BTC=1 ETH=10]."),
    ] = None,
    state: Annotated[
        Path | None, typer.Option(help="State file: loaded at start, saved on every change.")
    ] = None,
    symbols: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated markets, BASE/QUOTE[:PRICE] [BTC/USDT,ETH/USDT,ETH/BTC]."
        ),
    ] = None,
    history_minutes: Annotated[
        str | None, typer.Option(help="1m candles of history before start [4320].")
    ] = None,
    weight_per_minute: Annotated[
        str | None, typer.Option(help="REQUEST_WEIGHT limit per minute [6000].")
    ] = None,
    orders_per_10s: Annotated[
        str | None, typer.Option(help="ORDERS limit per 10 seconds [50].")
    ] = None,
    commission_rate: Annotated[
        str | None, typer.Option(help="Maker/taker fee rate [0.001].")
    ] = None,
    spread_bps: Annotated[str | None, typer.Option(help="Book spread, basis points [2].")] = None,
    book_levels: Annotated[str | None, typer.Option(help="Book levels per side [100].")] = None,
) -> None:
    """Run the Binance-compatible Spot Testnet simulator (REST /api/v3 + /__sim__ admin)."""
    # imported here so that other imb-bot commands do not pay for uvicorn and numpy
    from pydantic import ValidationError

    from imb_bot.exchange.sim.config import SimSettings, describe_validation_error
    from imb_bot.exchange.sim.server import bind_socket, build_server

    given: dict[str, Any] = {
        "host": host,
        "port": port,
        "data": data or None,
        "speed": speed,
        "seed": seed,
        "api_key": api_key,
        "api_secret": api_secret,
        "balance": balance or None,
        "state": state,
        "symbols": symbols,
        "history_minutes": history_minutes,
        "weight_per_minute": weight_per_minute,
        "orders_per_10s": orders_per_10s,
        "commission_rate": commission_rate,
        "spread_bps": spread_bps,
        "book_levels": book_levels,
    }
    try:
        config = SimSettings(**{k: v for k, v in given.items() if v is not None}).to_config()
    except ValidationError as exc:
        raise _fail(describe_validation_error(exc)) from None
    try:
        credentials, generated = _credentials(config)
        server, exchange = build_server(config, credentials)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        sock = bind_socket(config.host, config.port)
    except OSError as exc:
        raise _fail(f"cannot listen on {config.host}:{config.port}: {exc.strerror}") from None
    bound_host, bound_port = sock.getsockname()[:2]
    markets = ", ".join(exchange.markets)
    typer.echo(
        f"imb-bot sim: listening on http://{bound_host}:{bound_port} "
        f"(markets {markets}; speed {exchange.clock.speed:g}; seed {exchange.seed})"
    )
    typer.echo(f"api key:    {credentials.api_key}")
    if generated:
        typer.echo(f"api secret: {credentials.api_secret}")
    sys.stdout.flush()
    # everything built so far lives until exit: keep it out of the collector's full passes
    gc.collect()
    gc.freeze()
    server.run(sockets=[sock])
