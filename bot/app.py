"""The composition root: the ONE place that builds, per command, the provider, the workflow, storage and the
application services, and closes them in reverse order.

    async with App.open(settings) as app:
        services = await app.services()      # provider, workflow, storage, services: built once, on demand

`copybot serve` opens it with `metrics=True`: the services then feed a Prometheus registry of this App's own.

Everything is built at the first request for it, so `copybot history` never loads a model SDK and `copybot run`
never loads Slack. Tests and benchmarks pass their own provider registry (`providers=`) instead of patching.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import ConfigError, LLMError
from bot.services import (
    CopyService,
    HistoryService,
    Limits,
    LimitService,
    RefinementService,
    RunContext,
    Services,
    StatsService,
    VoiceService,
    VoteService,
    WorkspaceService,
)
from bot.workflow import Workflow, WorkflowConfig
from bot.workflow.formats import Format, load_formats
from bot.workflow.llm.base import LLM
from bot.workflow.llm.prices import Priced
from bot.workflow.llm.registry import ProviderConfig, ProviderSpec, choose

if TYPE_CHECKING:
    from bot.services.metrics import Metrics
    from bot.slack.install import Installations
    from storage import DatabaseConfig, Repository

log = logging.getLogger(__name__)


def provider_config(settings: Settings) -> ProviderConfig:
    return ProviderConfig(
        max_retries=settings.llm_max_retries,
        timeout_s=max(settings.orchestrator_timeout_s, settings.worker_timeout_s),
        env=settings.env,
    )


MODELS_HINT = (
    "Set both to models your server serves (they may be the same), e.g. COPYBOT_ORCHESTRATOR_MODEL=llama3.2 "
    "COPYBOT_WORKER_MODEL=llama3.2."
)


def resolve_models(settings: Settings, spec: ProviderSpec, served: Sequence[str] | None = None) -> tuple[str, str]:
    """(orchestrator, worker): COPYBOT_ORCHESTRATOR_MODEL / COPYBOT_WORKER_MODEL, else the provider's defaults, else
    the one model the server lists (`served`: what it lists, None when it was not asked)."""
    defaults = spec.default_models
    if defaults is None and served is not None and len(served) == 1:
        defaults = (served[0], served[0])
    orchestrator = settings.orchestrator_model or (defaults[0] if defaults else "")
    worker = settings.worker_model or (defaults[1] if defaults else "")
    if not (orchestrator and worker):
        listed = ""
        if served:
            names = ", ".join(served[:10]) + (", ..." if len(served) > 10 else "")
            listed = f" The server lists {len(served)} models ({names}): name the ones to use."
        elif served is not None:
            listed = " The server lists no model."
        raise ConfigError(
            f"COPYBOT_LLM={spec.name} needs the models to use: COPYBOT_ORCHESTRATOR_MODEL and COPYBOT_WORKER_MODEL "
            f"are not both set.{listed}",
            hint=MODELS_HINT,
        )
    return orchestrator, worker


def workflow_config(settings: Settings, models: tuple[str, str]) -> WorkflowConfig:
    return WorkflowConfig(
        orchestrator_model=models[0],
        worker_model=models[1],
        max_concurrency=settings.max_concurrency,
        orchestrator_timeout_s=settings.orchestrator_timeout_s,
        worker_timeout_s=settings.worker_timeout_s,
        orchestrator_max_tokens=settings.orchestrator_max_tokens,
        worker_max_tokens=settings.worker_max_tokens,
        live_text=settings.live_text,
    )


def limits(settings: Settings) -> Limits:
    return Limits(
        allowed_channels=settings.allowed_channels,
        allowed_users=settings.allowed_users,
        monthly_tokens=settings.monthly_token_budget,
        daily_runs=settings.user_daily_runs,
    )


class App:
    """One command's object graph. Use `App.open(settings)`; parts are built when first asked for."""

    def __init__(
        self,
        settings: Settings,
        stack: AsyncExitStack,
        providers: Mapping[str, ProviderSpec] | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self._stack = stack
        self._providers = providers
        self._spec: ProviderSpec | None = None
        self._models: tuple[str, str] | None = None
        self._llm: LLM | None = None
        self._workflow: Workflow | None = None
        self._database: DatabaseConfig | None = None
        self._repository: Repository | None = None
        self._services: Services | None = None
        self._formats: Mapping[str, Format] | None = None

    @classmethod
    @asynccontextmanager
    async def open(
        cls, settings: Settings, *, providers: Mapping[str, ProviderSpec] | None = None, metrics: bool = False
    ) -> AsyncIterator[App]:
        """`metrics`: build a Prometheus registry that the services feed (`copybot serve`)."""
        registry = None
        if metrics:
            from bot.services.metrics import Metrics

            registry = Metrics()
        async with AsyncExitStack() as stack:
            yield cls(settings, stack, providers, registry)

    @property
    def spec(self) -> ProviderSpec:
        """The provider COPYBOT_LLM selects (resolving `auto`); ConfigError / LLMUnavailable when there is none."""
        if self._spec is None:
            self._spec = choose(self.settings.llm, provider_config(self.settings), self._providers)
        return self._spec

    async def models(self) -> tuple[str, str]:
        """(orchestrator, worker) models; a provider without defaults (openai) is asked which it serves when they
        are not both set."""
        if self._models is None:
            spec, settings = self.spec, self.settings
            served: Sequence[str] | None = None
            unset = not (settings.orchestrator_model and settings.worker_model)
            if unset and spec.default_models is None and spec.list_models is not None:
                served = await self._served(spec, spec.list_models)
            self._models = resolve_models(settings, spec, served)
        return self._models

    async def _served(
        self, spec: ProviderSpec, list_models: Callable[[ProviderConfig], Awaitable[Sequence[str]]]
    ) -> Sequence[str]:
        try:
            return await list_models(provider_config(self.settings))
        except LLMError as exc:
            raise ConfigError(
                f"COPYBOT_LLM={spec.name} needs the models to use: COPYBOT_ORCHESTRATOR_MODEL and "
                f"COPYBOT_WORKER_MODEL are not both set, and the server could not be asked which it serves: {exc}.",
                hint=MODELS_HINT,
            ) from exc

    async def llm(self) -> LLM:
        if self._llm is None:
            spec, models = self.spec, await self.models()  # a missing model setting fails before anything is built
            llm = spec.create(provider_config(self.settings))
            log.debug("provider %s: orchestrator %s, workers %s", spec.name, *models)
            self._stack.push_async_callback(llm.aclose)
            if self.settings.prices:
                llm = Priced(llm, self.settings.prices)
            self._llm = llm
            self._workflow = Workflow(llm, workflow_config(self.settings, models))
        return self._llm

    async def workflow(self) -> Workflow:
        await self.llm()
        assert self._workflow is not None
        return self._workflow

    @property
    def database(self) -> DatabaseConfig:
        """DATABASE_URL, parsed once."""
        if self._database is None:
            from storage import DatabaseConfig

            self._database = DatabaseConfig.parse(self.settings.database_url)
        return self._database

    async def repository(self, *, create: bool = True) -> Repository:
        """The database, migrated to this copybot's schema. `create=False` (commands that only read): a SQLite file
        that does not exist is a StorageError saying so, and nothing is created."""
        if self._repository is None:
            from storage import open_repository

            if not create:
                self.database.check_exists()
            log.debug("opening %s", self.database.where)
            repository = await open_repository(self.database)
            self._stack.push_async_callback(repository.aclose)
            self._repository = repository
        return self._repository

    @property
    def formats(self) -> Mapping[str, Format]:
        """The preset formats plus COPYBOT_FORMATS_FILE's (ConfigError naming the file and the bad entry)."""
        if self._formats is None:
            self._formats = load_formats(self.settings.formats_file)
        return self._formats

    async def history(self) -> HistoryService:
        """Past runs only: no model is needed (and none is loaded), and no database is created."""
        return HistoryService(await self.repository(create=False))

    async def stats(self) -> StatsService:
        """A workspace's figures: no model is needed (and none is loaded), and no database is created."""
        return StatsService(await self.repository(create=False))

    async def voices(self, *, create: bool = True) -> VoiceService:
        """Brand voices (the CLI's `copybot voice`): no model is needed (and none is loaded). `create=False` to
        only show one."""
        return VoiceService(await self.repository(create=create), editors=self.settings.voice_editors)

    async def installations(self) -> Installations:
        """OAuth mode's stores: slack_sdk's installation and OAuth state stores on copybot's own database (their
        tables are migration 0008's; the stores never create tables)."""
        from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
        from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

        from bot.slack.install import STATE_EXPIRATION_S, Installations

        engine = (await self.repository()).store_engine
        store = AsyncSQLAlchemyInstallationStore(client_id=self.settings.slack_client_id, engine=engine)
        states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_EXPIRATION_S, engine=engine)
        return Installations(store, states)

    async def services(self) -> Services:
        """Every service, over the provider and the database (built now if they are not yet)."""
        if self._services is None:
            formats = self.formats
            workflow = await self.workflow()
            repository = await self.repository()
            voices = VoiceService(repository, editors=self.settings.voice_editors)
            context = RunContext(repository, voices, taste=self.settings.team_taste)
            observer = None
            if self.metrics is not None:
                from bot.services.metrics import RunMetrics

                observer = RunMetrics(self.metrics)
            max_versions = self.settings.max_refinements
            self._services = Services(
                runs=CopyService(workflow, repository, context, observer),
                votes=VoteService(repository),
                history=HistoryService(repository),
                refinements=RefinementService(workflow, repository, max_versions=max_versions, observer=observer),
                formats=formats,
                voices=voices,
                stats=StatsService(repository),
                workspaces=WorkspaceService(repository, purge=self.settings.purge_on_uninstall),
                limits=LimitService(
                    repository,
                    limits(self.settings),
                    on_refusal=self.metrics.refused if self.metrics is not None else None,
                ),
                metrics=self.metrics,
            )
        return self._services

    async def upgrade_schema(self) -> tuple[str | None, str | None]:
        """Migrate the database to this copybot's schema: (revision before, after)."""
        from storage import migrate

        return await migrate.upgrade(self.database)

    async def schema(self) -> tuple[str | None, str]:
        """(the database's revision, this copybot's newest); a StorageError, creating nothing, when it is missing."""
        from storage import migrate

        self.database.check_exists()
        return await migrate.current(self.database), migrate.head()
