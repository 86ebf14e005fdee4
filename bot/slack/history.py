"""`/copy history`: this channel's recent runs (in a DM, the user's own), scoped to the workspace."""

from __future__ import annotations

from typing import Any

from bot.services import HistoryQuery, HistoryService, RunSummary
from bot.slack.blocks import Block, SlackMessage
from bot.slack.parsing import History
from bot.slack.text import escape, shorten
from bot.workflow.types import RunStatus


def is_direct_message(command: dict[str, Any]) -> bool:
    return str(command.get("channel_id", "")).startswith("D") or command.get("channel_name") == "directmessage"


def permalink(team_domain: str, channel: str, ts: str, slack_host: str = "slack.com") -> str:
    """Slack's message link format: https://<team>.slack.com/archives/<channel>/p<ts without the dot>."""
    return f"https://{team_domain}.{slack_host}/archives/{channel}/p{ts.replace('.', '')}"


async def history_blocks(
    history: HistoryService, command: dict[str, Any], query: History, slack_host: str
) -> SlackMessage:
    team_id = str(command.get("team_id", ""))
    user_id = str(command.get("user_id", ""))
    direct = is_direct_message(command)
    page = await history.runs(
        HistoryQuery(
            team_id=team_id,
            channel_id=None if direct else str(command.get("channel_id", "")),
            user_id=user_id if direct or query.mine else None,
            search=query.search,
            limit=query.limit,
        )
    )
    where = "your runs" if direct else ("your runs in this channel" if query.mine else "this channel")
    found = f" matching “{escape(query.search)}”" if query.search else ""
    if not page.runs:
        text = f"No copy runs yet for {where}{found}. Start one with `/copy <product>`."
        return SlackMessage(text=text, blocks=({"type": "section", "text": {"type": "mrkdwn", "text": text}},))
    title = f"*Last {len(page.runs)} copy runs for {where}{found}*"
    lines = [_line(run, str(command.get("team_domain", "")), slack_host) for run in page.runs]
    blocks: list[Block] = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    blocks.extend({"type": "section", "text": {"type": "mrkdwn", "text": line}} for line in lines)
    return SlackMessage(text="\n".join([title, *lines])[:3_000], blocks=tuple(blocks[:50]))


def _line(run: RunSummary, team_domain: str, slack_host: str) -> str:
    stamp = int(run.created_at.timestamp())
    when = f"<!date^{stamp}^{{date_short_pretty}} {{time}}|{run.created_at:%Y-%m-%d %H:%M} UTC>"
    who = f"<@{run.user_id}>" if run.user_id else escape(run.user_name or "someone")
    count = f"{run.done_count}/{run.variation_count} variations" if run.variation_count else run.status
    parts = [f"{when} {who}: *{escape(shorten(run.product, 120))}* ({count})"]
    if run.favourite_type is not None:
        votes = "vote" if run.favourite_votes == 1 else "votes"
        parts.append(f":star: {escape(shorten(run.favourite_type, 60))} ({run.favourite_votes} {votes})")
    if run.status in (RunStatus.FAILED, RunStatus.INTERRUPTED):
        parts.append(f":x: {run.status}")
    if run.slack_thread_ts and team_domain:
        link = permalink(team_domain, run.slack_channel or run.channel_id, run.slack_thread_ts, slack_host)
        parts.append(f"<{link}|thread>")
    return " · ".join(parts)
