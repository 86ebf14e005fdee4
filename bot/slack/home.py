"""App Home (`app_home_opened` -> views.publish): a New brief button, your last runs, the workspace's winning
styles, its brand voice with an Edit button, and this month's usage."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CopybotError
from bot.services import HistoryQuery, RunSummary, Scope, Services, Stats
from bot.services.stats import bar, usage_cost_text
from bot.slack.blocks import NEW_BRIEF_ACTION
from bot.slack.text import escape, shorten
from bot.slack.voice import EDIT_VOICE_ACTION, voice_text
from bot.workflow.voice import Voice, counted

log = logging.getLogger(__name__)
RECENT_RUNS = 5


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _button(action_id: str, label: str) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label, "emoji": True}}


def _usage(stats: Stats) -> str:
    usage = stats.usage
    cost = usage_cost_text(usage)
    return (
        f"*This month* (since {stats.since:%B %-d}): {counted(usage.runs, 'run')}, "
        f"{counted(usage.variations, 'variation')}, {usage.input_tokens + usage.output_tokens:,} tokens, cost {cost}."
    )


def home_view(runs: list[tuple[RunSummary, str]], stats: Stats, voice: Voice, team_id: str) -> dict[str, Any]:
    """The App Home tab; pure. `runs` are the person's recent runs with their threads' links ("" if none)."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "copybot"}},
        _section("Marketing copy, planned and written in a thread. Start a brief here or type `/copy` anywhere."),
        {"type": "actions", "elements": [_button(NEW_BRIEF_ACTION, ":memo: New brief")]},
        {"type": "divider"},
        _section("*Your last runs*"),
    ]
    lines = [
        f"• {escape(shorten(run.product, 80))} ({run.created_at:%b %-d}, {run.status})"
        + (f" · <{link}|thread>" if link else "")
        for run, link in runs
    ]
    blocks.append(_section("\n".join(lines) or "_None yet: your runs will show here._"))
    blocks.append(_section("*What this workspace picks*"))
    top = stats.styles[0].runs if stats.styles else 0
    styles = [
        f"`{bar(s.runs, top)}` {escape(s.style)}: {counted(s.runs, 'win')} ({counted(s.votes, 'vote')})"
        for s in stats.styles
    ]
    blocks.append(_section("\n".join(styles) or "_No favourites yet: react with :star: to a variation you like._"))
    blocks += [
        {"type": "divider"},
        _section(voice_text(voice, Scope(team_id))),
        {"type": "actions", "elements": [_button(EDIT_VOICE_ACTION, ":pencil2: Edit the voice")]},
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _usage(stats)}]},
    ]
    return {"type": "home", "blocks": blocks}


async def _link(client: AsyncWebClient, run: RunSummary) -> str:
    if not run.slack_thread_ts:
        return ""
    try:
        found = await client.chat_getPermalink(channel=run.slack_channel, message_ts=run.slack_thread_ts)
    except SlackApiError:
        return ""
    return str(found.get("permalink") or "")


def register_home(app: AsyncApp, *, services: Services) -> None:
    async def on_home(event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        user, team = event.get("user"), body.get("team_id")
        if event.get("tab") not in (None, "home") or not isinstance(user, str) or not isinstance(team, str):
            return
        try:
            page = await services.history.runs(HistoryQuery(team_id=team, user_id=user, limit=RECENT_RUNS))
            stats = await services.stats.stats(team)
            voice = await services.voices.show(Scope(team))
        except CopybotError as exc:
            log.warning("App Home of %s could not be built: %s", user, exc)
            return
        links = await asyncio.gather(*(_link(client, run) for run in page.runs))
        view = home_view(list(zip(page.runs, links, strict=True)), stats, voice, team)
        try:
            await client.views_publish(user_id=user, view=view)
        except SlackApiError as exc:
            log.warning("App Home of %s was refused: %s", user, exc.response.get("error", ""))

    app.event("app_home_opened")(on_home)
