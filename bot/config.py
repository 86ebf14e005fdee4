"""Settings: the only place that reads the environment.

`Settings.from_env(mapping)` takes any mapping (tests pass a dict); the CLI
passes `os.environ`. Every default lives here and is listed in README.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.errors import ConfigError
from bot.workflow.llm.base import Price

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///copybot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_HOST = "0.0.0.0"  # every interface: a platform's router reaches the process; HOST=127.0.0.1 behind a proxy
DEFAULT_FAVOURITE_EMOJI = ("star", "+1", "heart", "white_check_mark")
_PROVIDER_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_PRICE = re.compile(r"([^=\s,]+)\s*=\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*/\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_SLACK_ID = re.compile(r"[A-Z0-9]+")
LOG_FORMATS = ("text", "json")


@dataclass(frozen=True)
class Settings:
    """Everything copybot can be configured with; see README "Configuration".

    A provider's own variables (ANTHROPIC_API_KEY, OPENAI_BASE_URL, COPYBOT_LOCAL_MODEL_PATH, a plugin's) are
    read by the provider from `env`, a frozen copy of the mapping given. Empty models mean the provider's
    defaults (bot/app.py resolves them).
    """

    slack_bot_token: str = ""
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_client_id: str = ""
    slack_client_secret: str = field(default="", repr=False)
    slack_redirect_uri: str = ""
    purge_on_uninstall: bool = False
    database_url: str = DEFAULT_DATABASE_URL
    llm: str = "auto"
    orchestrator_model: str = ""
    worker_model: str = ""
    max_variations: int = 5
    max_concurrency: int = 5
    orchestrator_timeout_s: float = 120.0
    worker_timeout_s: float = 90.0
    llm_max_retries: int = 3
    orchestrator_max_tokens: int = 2048
    worker_max_tokens: int = 1024
    favourite_emoji: tuple[str, ...] = DEFAULT_FAVOURITE_EMOJI
    live_text: bool = False
    max_refinements: int = 20
    formats_file: str = ""
    voice_editors: tuple[str, ...] = ()
    team_taste: bool = True
    host: str = DEFAULT_HOST
    port: int = 3000
    http_timeout_s: float = 10.0
    shutdown_grace_s: float = 25.0
    allowed_channels: frozenset[str] = frozenset()  # empty: every channel
    allowed_users: frozenset[str] = frozenset()  # empty: everyone
    monthly_token_budget: int | None = None  # per workspace, input + output tokens per calendar month (UTC)
    user_daily_runs: int | None = None  # per person, runs started per day (UTC)
    prices: Mapping[str, Price] = field(default_factory=dict)  # model -> dollars per million tokens
    metrics_port: int | None = None  # Socket Mode's /metrics listener
    log_format: str = "text"
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def oauth(self) -> bool:
        """OAuth mode (several workspaces install copybot): the app's client credentials, and no single bot token."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    def __repr__(self) -> str:  # secrets never reach logs
        return f"Settings(llm={self.llm!r}, database_url={_redact_url(self.database_url)!r})"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from environment-like `env`; raise ConfigError naming the variable."""

        def text(name: str, default: str = "") -> str:
            return env.get(name, "").strip() or default

        llm = text("COPYBOT_LLM", "auto").lower()
        if not _PROVIDER_NAME.fullmatch(llm):
            raise ConfigError(
                f"COPYBOT_LLM={llm!r} is not a provider name.",
                hint="Use auto, anthropic, local, openai or a plugin's name; unset it to let copybot choose.",
            )
        _check_client_credentials(text("SLACK_CLIENT_ID"), text("SLACK_CLIENT_SECRET"))
        emoji = tuple(e.strip(": ") for e in text("COPYBOT_FAVOURITE_EMOJI").split(",") if e.strip())
        return cls(
            slack_bot_token=text("SLACK_BOT_TOKEN"),
            slack_signing_secret=text("SLACK_SIGNING_SECRET"),
            slack_app_token=text("SLACK_APP_TOKEN"),
            slack_api_url=_with_slash(text("SLACK_API_URL", DEFAULT_SLACK_API_URL)),
            slack_client_id=text("SLACK_CLIENT_ID"),
            slack_client_secret=text("SLACK_CLIENT_SECRET"),
            slack_redirect_uri=text("SLACK_REDIRECT_URI"),
            purge_on_uninstall=_switch(env, "COPYBOT_PURGE_ON_UNINSTALL", default=False),
            database_url=text("DATABASE_URL", DEFAULT_DATABASE_URL),
            llm=llm,
            orchestrator_model=text("COPYBOT_ORCHESTRATOR_MODEL"),
            worker_model=text("COPYBOT_WORKER_MODEL"),
            max_variations=_integer(env, "COPYBOT_MAX_VARIATIONS", 5, low=1, high=5),
            max_concurrency=_integer(env, "COPYBOT_MAX_CONCURRENCY", 5, low=1, high=50),
            orchestrator_timeout_s=_number(env, "COPYBOT_ORCHESTRATOR_TIMEOUT", 120.0),
            worker_timeout_s=_number(env, "COPYBOT_WORKER_TIMEOUT", 90.0),
            llm_max_retries=_integer(env, "COPYBOT_LLM_MAX_RETRIES", 3, low=0, high=10),
            favourite_emoji=emoji or DEFAULT_FAVOURITE_EMOJI,
            live_text=_flag(env, "COPYBOT_LIVE_TEXT"),
            max_refinements=_integer(env, "COPYBOT_MAX_REFINEMENTS", 20, low=0, high=500),
            formats_file=text("COPYBOT_FORMATS_FILE"),
            voice_editors=tuple(u.strip() for u in text("COPYBOT_VOICE_EDITORS").split(",") if u.strip()),
            team_taste=_switch(env, "COPYBOT_TEAM_TASTE", default=True),
            host=text("HOST", DEFAULT_HOST),
            port=_integer(env, "PORT", 3000, low=1, high=65535),
            http_timeout_s=_number(env, "COPYBOT_HTTP_TIMEOUT", 10.0),
            shutdown_grace_s=_number(env, "COPYBOT_SHUTDOWN_GRACE", 25.0),
            allowed_channels=_ids(env, "COPYBOT_ALLOWED_CHANNELS"),
            allowed_users=_ids(env, "COPYBOT_ALLOWED_USERS"),
            monthly_token_budget=_limit(env, "COPYBOT_MONTHLY_TOKEN_BUDGET", high=10**15),
            user_daily_runs=_limit(env, "COPYBOT_USER_DAILY_RUNS", high=1_000_000),
            prices=MappingProxyType(parse_prices(text("COPYBOT_PRICES"))),
            metrics_port=_limit(env, "COPYBOT_METRICS_PORT", high=65535),
            log_format=_choice(env, "COPYBOT_LOG_FORMAT", LOG_FORMATS),
            env=MappingProxyType(dict(env)),
        )


def _check_client_credentials(client_id: str, client_secret: str) -> None:
    """OAuth mode needs both of the app's credentials; one alone is a mistake, said before anything starts."""
    hint = "Copy both from the app's Basic Information > App Credentials (README: Distribute to several workspaces)."
    if client_id and not client_secret:
        raise ConfigError("SLACK_CLIENT_ID is set but SLACK_CLIENT_SECRET is not.", hint=hint)
    if client_secret and not client_id:
        raise ConfigError("SLACK_CLIENT_SECRET is set but SLACK_CLIENT_ID is not.", hint=hint)


def parse_prices(raw: str) -> dict[str, Price]:
    """COPYBOT_PRICES, "model=in/out,model=in/out" in dollars per million input/output tokens."""
    table: dict[str, Price] = {}
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        found = _PRICE.fullmatch(entry)
        if found is None:
            raise ConfigError(
                f"COPYBOT_PRICES has an entry copybot cannot read: {entry[:80]!r}.",
                hint="Write model=input/output in dollars per million tokens, entries separated by commas, "
                "e.g. COPYBOT_PRICES=claude-sonnet-4-5=3/15,claude-haiku-4-5=1/5.",
            )
        model, per_input, per_output = found.groups()
        if model in table:
            raise ConfigError(f"COPYBOT_PRICES names {model} twice.", hint="Keep one price per model.")
        table[model] = Price(float(per_input), float(per_output))
    return table


def _ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    """Slack ids, comma-separated (C0123, U0456...); empty: no restriction."""
    ids = [i.strip() for i in env.get(name, "").split(",") if i.strip()]
    bad = [i for i in ids if not _SLACK_ID.fullmatch(i)]
    if bad:
        raise ConfigError(
            f"{name} holds {bad[0][:40]!r}, which is not a Slack id.",
            hint="List ids separated by commas, e.g. C0123ABC,C0456DEF (a channel's id is at the bottom of its "
            "details; a person's in their profile's menu, Copy member ID).",
        )
    return frozenset(ids)


def _limit(env: Mapping[str, str], name: str, *, high: int) -> int | None:
    """A positive whole number, or None when unset."""
    return _integer(env, name, 0, low=1, high=high) if env.get(name, "").strip() else None


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower() or choices[0]
    if raw not in choices:
        raise ConfigError(
            f"{name}={raw[:40]!r} is not one of {', '.join(choices)}.", hint=f"Unset {name} or set it to one of them."
        )
    return raw


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _redact_url(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    return f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}"


def _integer(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[+-]?[0-9]+", raw):  # int() would also take other scripts' digits
        raise ConfigError(f"{name}={raw!r} is not a whole number.", hint=f"Use {low}-{high}.")
    value = int(raw)
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range.", hint=f"Use {low}-{high}.")
    return value


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", raw):  # float() would take "nan", "inf", other digits
        raise ConfigError(f"{name}={raw!r} is not a number of seconds.", hint="e.g. 90 or 2.5.")
    value = float(raw)
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds.")
    return value


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    """on|off (also 1/0, true/false, yes/no); anything else names the variable."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not on or off.", hint=f"Set {name}=on or {name}=off.")


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
