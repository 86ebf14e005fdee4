"""The Slack adapter: Bolt app (app.py), /copy (commands.py), favourites (events.py), Block Kit (blocks.py)."""
