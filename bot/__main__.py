"""`python -m bot` is `copybot`."""

from bot.cli import main

raise SystemExit(main())
