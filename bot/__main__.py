"""`python -m bot` is `copybot`."""

from bot.cli import entry

entry()
