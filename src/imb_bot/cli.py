"""``imb-bot`` command line: run the bot, the simulator, the demo, and admin commands."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer

from imb_bot import __version__
from imb_bot.config import ConfigError, Settings, load_settings
from imb_bot.db.cli import db_app
from imb_bot.exchange.sim.cli import sim_command
from imb_bot.monitoring.logging import configure_logging, log_event

app = typer.Typer(
    name="imb-bot",
    help="IMB Trading Bot: RSI/EMA crypto spot trading on the Binance Spot Testnet.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.command("sim")(sim_command)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML or TOML config file (also IMB_CONFIG); IMB_* environment variables win.",
        exists=False,
        dir_okay=False,
    ),
]

log = logging.getLogger("imb_bot.cli")


def settings_or_exit(config: Path | None) -> Settings:
    """Load settings; on a bad value print one line per problem and exit with code 2."""
    try:
        return load_settings(config)
    except ConfigError as exc:
        for line in exc.lines:
            typer.echo(line, err=True)
        raise typer.Exit(code=2) from None


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"imb-bot {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version_callback, is_eager=True, help="Show version."),
    ] = False,
) -> None:
    """IMB Trading Bot command line."""


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the bot loop and the REST API (default http://127.0.0.1:8000) until SIGINT/SIGTERM."""
    settings = settings_or_exit(config)
    configure_logging(settings.log_level, settings.log_format, settings.secret_values())
    from imb_bot.api.server import serve_api
    from imb_bot.engine.runtime import StartupError

    log_event(
        log,
        logging.INFO,
        "bot_starting",
        version=__version__,
        mode=settings.trading_mode.value,
        symbols=settings.symbols,
        api=f"http://{settings.api_host}:{settings.api_port}",
    )
    try:
        serve_api(settings)
    except StartupError as exc:
        typer.echo(f"start-up error: {exc}", err=True)
        raise typer.Exit(code=1) from None
    log_event(log, logging.INFO, "bot_stopped")


@app.command()
def demo(
    config: ConfigOption = None,
    speed: Annotated[
        float, typer.Option(min=0.1, max=10_000, help="Simulated market speed × real time.")
    ] = 60.0,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic market.")] = 7,
) -> None:
    """Offline demo: simulator + bot (LIVE_TESTNET against it) + API on loopback, fresh SQLite."""
    import secrets

    from imb_bot.api.server import serve_api
    from imb_bot.demo import DemoOptions, demo_settings, fresh_database
    from imb_bot.exchange.sim.control import start_simulator_process

    base = settings_or_exit(config)
    options = DemoOptions(speed=speed, seed=seed)
    api_key, api_secret = f"demo{secrets.token_hex(8)}", secrets.token_hex(24)
    sim = start_simulator_process(
        speed=speed,
        seed=seed,
        api_key=api_key,
        api_secret=api_secret,
        balance={"USDT": options.quote_balance, "BTC": 0, "ETH": 0},
    )
    try:
        fresh_database(options.database)
        settings = demo_settings(
            base,
            exchange_url=sim.handle.base_url,
            api_key=api_key,
            api_secret=api_secret,
            options=options,
        )
        configure_logging(settings.log_level, settings.log_format, settings.secret_values())
        # Show the token only when the demo generated it, never one the user configured.
        token = (
            "$IMB_CONTROL_TOKEN"
            if base.control_token is not None
            else settings.control_token.get_secret_value()  # type: ignore[union-attr]
        )
        api = f"http://{settings.api_host}:{settings.api_port}"
        typer.echo(
            "\nIMB Trading Bot demo (offline)\n"
            f"  simulator   {sim.handle.base_url}  (speed {speed}x, log {sim.log_path})\n"
            f"  API         {api}/status  {api}/docs\n"
            f"  database    {options.database.resolve()} (fresh)\n"
            f"  control     curl -X POST -H 'Authorization: Bearer {token}' {api}/bot/halt\n"
            "  Ctrl-C stops everything.\n",
            err=True,
        )
        serve_api(settings)
    finally:
        sim.stop()


@config_app.command("show")
def config_show(config: ConfigOption = None) -> None:
    """Print the effective configuration as JSON, with secrets shown as '***'."""
    settings = settings_or_exit(config)
    typer.echo(json.dumps(settings.redacted(), indent=2))


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        sys.exit(130)
