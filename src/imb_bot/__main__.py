"""Allow ``python -m imb_bot`` as an alias of the ``imb-bot`` console script."""

from imb_bot.cli import main

main()
