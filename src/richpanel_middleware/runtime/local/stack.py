"""Wiring for the embedded runtime: build every adapter from settings and config files.

This is the one place that picks concrete adapters; the pipeline only sees ports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from richpanel_middleware.classify.llm_classifier import (
    CascadeClassifier,
    LlmClassifier,
    LlmVerifier,
)
from richpanel_middleware.classify.llm_client import LlmClient
from richpanel_middleware.classify.local_model import LocalClassifier
from richpanel_middleware.configuration import AppConfig, load_app_config
from richpanel_middleware.helpdesk.rate_gate import RateGate
from richpanel_middleware.helpdesk.richpanel import RichpanelClient
from richpanel_middleware.observability.metrics import PrometheusMetrics
from richpanel_middleware.orders.richpanel_orders import RichpanelOrderSource
from richpanel_middleware.orders.shopify import ShopifyClient
from richpanel_middleware.pipeline.ingress import IngressService
from richpanel_middleware.pipeline.ports import Classifier, EstimateClock
from richpanel_middleware.pipeline.worker import OrderServices, Worker, WorkerOptions
from richpanel_middleware.runtime.local.clocks import SystemClock
from richpanel_middleware.runtime.local.model_cache import load_or_train_model
from richpanel_middleware.runtime.local.sqlite_db import Database
from richpanel_middleware.runtime.local.sqlite_queue import SqliteQueue
from richpanel_middleware.runtime.local.sqlite_stores import (
    SqliteConversationStore,
    SqliteDecisionLog,
    SqliteFlagSource,
    SqliteIdempotencyStore,
)
from richpanel_middleware.runtime.local.worker_runner import WorkerRunner
from richpanel_middleware.settings import Settings


@dataclass
class LocalStack:
    settings: Settings
    config: AppConfig
    database: Database
    queue: SqliteQueue
    decisions: SqliteDecisionLog
    flags: SqliteFlagSource
    metrics: PrometheusMetrics
    helpdesk: RichpanelClient | None = None
    shopify: ShopifyClient | None = None
    llm: LlmClient | None = None
    worker: Worker | None = None
    runner: WorkerRunner | None = None
    worker_expected: bool = False

    def ingress(self) -> IngressService:
        tokens = [token.get_secret_value() for token in self.settings.webhook_tokens]
        secrets = [secret.get_secret_value() for secret in self.settings.webhook_hmac_secrets]
        return IngressService(
            queue=self.queue,
            tokens=tokens,
            hmac_secrets=secrets,
            max_body_bytes=self.settings.max_body_bytes,
        )

    def readiness_check(self) -> None:
        self.queue.ping()
        self.flags.load()
        if self.worker_expected and self.runner is None:
            raise RuntimeError("worker is not running yet (the local model may still be training)")
        if self.runner is not None:
            self.runner.check_healthy()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        if self.helpdesk is not None:
            self.helpdesk.close()
        if self.shopify is not None:
            self.shopify.close()
        if self.llm is not None:
            self.llm.close()
        self.database.close()


def build_stack(settings: Settings, *, config: AppConfig | None = None) -> LocalStack:
    """Build the storage side (enough for ingress). Call `attach_worker` to add the worker."""
    config = config or load_app_config(settings.config_dir)
    database = Database.in_folder(settings.data_dir)
    queue = SqliteQueue(
        database,
        max_receives=settings.max_receives,
        retention_s=settings.retention_s,
        dedup_window_s=settings.dedup_window_s,
    )
    return LocalStack(
        settings=settings,
        config=config,
        database=database,
        queue=queue,
        decisions=SqliteDecisionLog(database),
        flags=SqliteFlagSource(
            database,
            defaults=config.default_flags,
            cache_s=settings.flag_cache_s,
            known_templates=frozenset(config.policy.catalog.template_ids),
        ),
        metrics=PrometheusMetrics(),
    )


def attach_worker(
    stack: LocalStack,
    *,
    classifier: Classifier | None = None,
    model_cache_dir: Path | None = None,
    estimate_clock: EstimateClock | None = None,
) -> WorkerRunner:
    settings = stack.settings
    if settings.richpanel_api_key is None:
        raise ValueError("RPMW_RICHPANEL_API_KEY is not set; the worker needs a Richpanel API key")
    safe_classifier: Classifier | None = None
    verifier: LlmVerifier | None = None
    if classifier is None:
        cache_dir = model_cache_dir or settings.model_cache_dir or settings.data_dir / "models"
        model = load_or_train_model(cache_dir)
        local = LocalClassifier(model, secondary_min=stack.config.policy.thresholds.secondary_min)
        classifier = local
        if settings.classifier != "local":
            stack.llm = llm_client(settings)
            classifier = model_classifier(
                settings.classifier, local, stack.llm, stack.config, model=settings.llm_model
            )
            # Safe mode makes no model calls, so the local model decides then.
            safe_classifier = local
            verifier = LlmVerifier(
                stack.llm,
                model=settings.llm_verifier_model or settings.llm_model,
                config=stack.config.llm,
            )
    gate = (
        RateGate(max_requests=settings.richpanel_requests_per_30s, window_s=30.0)
        if settings.richpanel_requests_per_30s
        else RateGate(max_requests=None)
    )
    helpdesk = RichpanelClient(
        base_url=settings.richpanel_base_url,
        api_key=settings.richpanel_api_key.get_secret_value(),
        timeout_s=settings.richpanel_timeout_s,
        max_attempts=settings.richpanel_max_attempts,
        rate_gate=gate,
    )
    shopify = _shopify_client(settings)
    idempotency = SqliteIdempotencyStore(stack.database)
    worker = Worker(
        queue=stack.queue,
        event_keys=idempotency,
        action_keys=idempotency,
        conversations=SqliteConversationStore(stack.database),
        decisions=stack.decisions,
        flags=stack.flags,
        helpdesk=helpdesk,
        classifier=classifier,
        policy=stack.config.policy,
        guards=stack.config.guards,
        clock=SystemClock(),
        options=WorkerOptions(
            bot_author_id=settings.bot_author_id,
            visibility_timeout_s=settings.visibility_timeout_s,
            retry_base_delay_s=settings.retry_base_delay_s,
            retry_max_delay_s=settings.retry_max_delay_s,
        ),
        metrics=stack.metrics,
        orders=OrderServices(
            linked=RichpanelOrderSource(helpdesk),
            search=shopify,
            shipping=stack.config.shipping,
            clock=estimate_clock or SystemClock(),
        ),
        safe_classifier=safe_classifier,
        order_verifier=verifier,
    )
    runner = WorkerRunner(
        worker,
        stack.queue,
        concurrency=settings.concurrency,
        visibility_timeout_s=settings.visibility_timeout_s,
        poll_interval_s=settings.poll_interval_s,
    )
    stack.helpdesk = helpdesk
    stack.shopify = shopify
    stack.worker = worker
    stack.runner = runner
    return runner


def _shopify_client(settings: Settings) -> ShopifyClient | None:
    """Build the store client; `Settings` ensures the URL and the token come as a pair."""
    if not settings.shopify_shop_url or settings.shopify_access_token is None:
        return None
    return ShopifyClient(
        shop_url=settings.shopify_shop_url,
        access_token=settings.shopify_access_token.get_secret_value(),
        api_version=settings.shopify_api_version,
        timeout_s=settings.shopify_timeout_s,
    )


def model_classifier(
    kind: str, local: LocalClassifier, client: LlmClient, config: AppConfig, *, model: str
) -> Classifier:
    """Build the `llm` or `cascade` classifier over `client`, with `local` for the cascade."""
    llm = LlmClassifier(
        client,
        model=model,
        teams=sorted(config.policy.routing.team_names),
        template_ids=config.policy.catalog.template_ids,
        config=config.llm,
    )
    return llm if kind == "llm" else CascadeClassifier(local, llm, config.llm)


def llm_client(settings: Settings) -> LlmClient:
    """Build the client for the configured OpenAI-compatible server."""
    if not settings.llm_base_url:
        raise ValueError("RPMW_LLM_BASE_URL is not set; the LLM classifier needs it")
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return LlmClient(
        base_url=settings.llm_base_url,
        api_key=key,
        model=settings.llm_model,
        api=settings.llm_api,
        timeout_s=settings.llm_timeout_s,
        max_attempts=settings.llm_max_attempts,
    )
