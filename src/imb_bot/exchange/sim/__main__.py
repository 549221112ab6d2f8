"""``python -m imb_bot.exchange.sim``: ``imb-bot sim`` without importing the rest of the bot."""

import typer

from imb_bot.exchange.sim.cli import sim_command

typer.run(sim_command)
