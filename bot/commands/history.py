"""`copybot history [--limit N] [--search TEXT] [--before ID] [--json]` and `copybot history show ID [--json]`."""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.config import Settings
from bot.console import fields_text
from bot.errors import RequestError
from bot.services.stats import cost_text
from bot.terminal import json_text, visible
from bot.workflow.types import VariationStatus

if TYPE_CHECKING:  # storage (SQLAlchemy) loads only when a command runs, not for --help
    from bot.services import RunDetail, RunPage, RunSummary

MAX_LIMIT = 200
DEFAULT_LIMIT = 20
PRODUCT_WIDTH = 40


def add_parser(sub: Any, name: str, help_text: str) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description="List past runs, newest first (every source: Slack and the terminal), or show one in full.",
        epilog="Examples: copybot history --search bottle   ·   copybot history show 12",
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"how many runs to list (1-{MAX_LIMIT}, default {DEFAULT_LIMIT})",
    )
    parser.add_argument(
        "--search", default="", metavar="TEXT", help="only runs whose product contains every word of TEXT"
    )
    parser.add_argument("--before", type=int, default=None, metavar="ID", help="list runs older than run ID")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    actions = parser.add_subparsers(dest="action", title="one run", metavar="show ID")
    show = actions.add_parser("show", help="show one run in full: variations, votes, model calls")
    show.add_argument("run_id", type=int, metavar="ID", help="the run's id (first column of the list)")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "show":
        return asyncio.run(_show(settings, args.run_id, json_mode=args.json))
    if not 1 <= args.limit <= MAX_LIMIT:
        raise RequestError(f"--limit {args.limit} is out of range.", hint=f"Use 1-{MAX_LIMIT}.")
    return asyncio.run(_list(settings, args.limit, args.search, args.before, json_mode=args.json))


async def _list(settings: Settings, limit: int, search: str, before: int | None, *, json_mode: bool) -> int:
    from bot.app import App
    from bot.services import HistoryQuery

    async with App.open(settings) as app:
        page = await (await app.history()).runs(HistoryQuery(search=search, limit=limit, before=before))
    print(_page_json(page) if json_mode else visible(render_page(page, search=search, limit=limit), lines=True))
    return 0


async def _show(settings: Settings, run_id: int, *, json_mode: bool) -> int:
    from bot.app import App

    async with App.open(settings) as app:
        detail = await (await app.history()).run(run_id)
    if detail is None:
        raise RequestError(f"There is no run {run_id}.", hint="`copybot history` lists the runs and their ids.")
    print(_dumps(asdict(detail)) if json_mode else visible(render_detail(detail), lines=True))
    return 0


def _dumps(value: Any) -> str:
    return json_text(json.dumps(value, indent=2, ensure_ascii=False, default=lambda v: v.isoformat()))


def _page_json(page: RunPage) -> str:
    return _dumps({"runs": [asdict(run) for run in page.runs], "next_before": page.next_before})


def _when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, indent: str = "") -> list[str]:
    """Aligned columns; each cell on one line, its control characters shown (bot/terminal.py)."""
    rows = [tuple(visible(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    return [
        indent + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)
    ]


def _who(run: RunSummary | RunDetail) -> str:
    return run.user_name or run.user_id or "-"


def _favourite(run: RunSummary) -> str:
    if run.favourite_type is None:
        return ""
    votes = "vote" if run.favourite_votes == 1 else "votes"
    return f"#{run.favourite_position} {run.favourite_type} ({run.favourite_votes} {votes})"


def render_page(page: RunPage, *, search: str = "", limit: int = DEFAULT_LIMIT) -> str:
    """The history table, with the command for the next page (keeping --search and --limit)."""
    if not page.runs:
        return f"No runs match {search!r}." if search else 'No runs yet. Try: copybot run "eco-friendly water bottle"'
    header = ("ID", "WHEN", "WHO", "PRODUCT", "VARIATIONS", "STATUS", "FAVOURITE")
    rows = [
        (
            str(run.id),
            _when(run.created_at),
            _clip(_who(run), 20),
            _clip(run.product, PRODUCT_WIDTH),
            f"{run.done_count}/{run.variation_count}" if run.variation_count else "-",
            run.status,
            _favourite(run),
        )
        for run in page.runs
    ]
    lines = _table(header, rows)
    if page.next_before is not None:
        lines.append(f"More: {next_page_command(page.next_before, search, limit)}")
    return "\n".join(lines)


def next_page_command(before: int, search: str, limit: int) -> str:
    """The command that lists the next page: the same search and page size, older runs."""
    words = ["copybot", "history"]
    if search:
        words += ["--search", shlex.quote(search)]
    if limit != DEFAULT_LIMIT:
        words += ["--limit", str(limit)]
    return " ".join([*words, "--before", str(before)])


def _tokens(detail: RunDetail) -> str:
    cost = cost_text(detail.estimated_cost_usd)
    unreported = sum(not c.usage_reported for c in detail.calls)
    at_least = f"at least (the server did not report the usage of {unreported} call(s)) " if unreported else ""
    return (
        f"Tokens:   {at_least}{detail.input_tokens:,} in · {detail.output_tokens:,} out · "
        f"{detail.cache_read_tokens:,} cache read · {detail.cache_write_tokens:,} cache write · estimated cost {cost}"
    )


def _count(tokens: int, reported: bool) -> str:
    return f"{tokens:,}" if reported else "?"


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()) or prefix + "(empty)"


def render_detail(detail: RunDetail) -> str:
    """One run in full: request, analysis, variations with their votes, and every model call."""
    took = ""
    if detail.finished_at is not None:
        took = f" (took {(detail.finished_at - detail.created_at).total_seconds():.1f} s)"
    lines = [
        f"Run {detail.id} · {detail.status} · {detail.source} · {_who(detail)} · {_when(detail.created_at)}{took}",
        f"Product:  {detail.product}",
    ]
    for label, value in (
        ("Audience", detail.audience),
        ("Features", "; ".join(detail.features)),
        ("Tone", detail.tone),
    ):
        if value:
            lines.append(f"{label + ':':<9} {value}")
    if detail.slack_thread_ts:
        lines.append(f"Slack:    channel {detail.slack_channel}, thread {detail.slack_thread_ts}")
    if detail.format:
        lines.append(f"Format:   {detail.format.name} ({detail.format.summary()})")
    if detail.error:
        lines.append(f"Error:    {detail.error}")
    lines += [_tokens(detail), "", "Analysis:", _indent(detail.analysis)]
    for v in detail.variations:
        usage = f"{v.model}, {v.input_tokens:,} in / {v.output_tokens:,} out" if v.model else "no model call"
        latency = f", {v.latency_ms:,} ms" if v.latency_ms is not None else ""
        lines += ["", f"Variation {v.position} · {v.type} · {v.status}{' · TRUNCATED' if v.truncated else ''}"]
        if v.parent_position is not None:
            asked = f' "{v.instruction}"' if v.instruction else f" ({v.kind} take)"
            lines.append(
                f"  {v.position} <- {v.parent_position}{asked}" + (f" by {v.requested_by}" if v.requested_by else "")
            )
        lines.append(f"  ({usage}{latency})")
        if v.description:
            lines.append(f"  Brief: {v.description}")
        if v.violations:
            lines.append(f"  ⚠ Against the brand voice: {'; '.join(v.violations)}")
        if v.fields:
            lines.append(_indent(fields_text(v.fields)))
        else:
            lines.append(_indent(v.text) if v.status is VariationStatus.DONE else f"  Error: {v.error}")
        votes = ", ".join(f"{vote.user_id} ({vote.how})" for vote in v.votes)
        lines.append(f"  Votes: {len(v.votes)}{' - ' + votes if votes else ''}")
    lines += ["", f"Model calls ({len(detail.calls)}):"]
    header = ("ROLE", "POS", "MODEL", "IN", "OUT", "CACHE R", "CACHE W", "MS", "STOP", "ERROR")
    rows = [
        (
            c.role,
            "-" if c.position is None else str(c.position),
            c.model,
            _count(c.input_tokens, c.usage_reported),
            _count(c.output_tokens, c.usage_reported),
            _count(c.cache_read_tokens, c.usage_reported),
            _count(c.cache_write_tokens, c.usage_reported),
            f"{c.duration_ms:,}",
            c.stop_reason or "-",
            _clip(c.error, 60),
        )
        for c in detail.calls
    ]
    lines += _table(header, rows, indent="  ")
    if any(not c.usage_reported for c in detail.calls):
        lines.append("  ?: the server sent no token counts for this call")
    for number, c in enumerate(detail.calls, 1):
        if c.reply:  # a reply whose plan could not be used
            lines += ["", f"Reply of model call {number} ({c.role}: {c.error or 'kept'}):", _indent(c.reply)]
    return "\n".join(lines)
