"""`rpmw demo`: the whole loop on one machine, against the Richpanel sandbox.

The demo starts the Richpanel and Shopify sandboxes and the embedded stack (ingress,
SQLite, worker) on loopback. For each input message it creates a sandbox conversation,
seeds the row's orders into the Shopify sandbox (and the linked one into Richpanel), and
fires the webhook the way a Richpanel rule does. Tier 2 replies are switched on for every
conversation of the run. Once the queue is drained, it reads the effects (tags, replies,
closes) back from the sandbox for the report.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from richpanel_middleware.classify.local_model import LocalClassifier
from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.demo.messages import DemoMessage
from richpanel_middleware.helpdesk.richpanel import encode_path_segment
from richpanel_middleware.runtime.local.clocks import ConversationClock
from richpanel_middleware.runtime.local.http_app import create_app
from richpanel_middleware.runtime.local.model_cache import load_or_train_model
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.runtime.local.stack import attach_worker, build_stack
from richpanel_middleware.sandbox import RichpanelSandboxSettings, create_richpanel_sandbox
from richpanel_middleware.sandbox.llm_app import DecisionSource, KeywordDecisions, start_llm_sandbox
from richpanel_middleware.sandbox.llm_reference import ReferenceDecisions
from richpanel_middleware.sandbox.shopify_app import create_shopify_sandbox
from richpanel_middleware.sandbox.shopify_state import ShopifySandboxSettings
from richpanel_middleware.settings import Settings


@dataclass(frozen=True, slots=True)
class DemoOptions:
    concurrency: int = 4
    rate_limit: bool = False
    timeout_s: float = 600.0
    data_dir: Path | None = None
    model_cache_dir: Path | None = Path("var/models")
    # local, llm or cascade; None takes RPMW_CLASSIFIER. Without RPMW_LLM_BASE_URL the demo
    # starts the sandbox's OpenAI-compatible endpoint for the model calls, which decides
    # with the local model's scores (`reference`) or its keyword table (`keywords`).
    classifier: str | None = None
    sandbox_llm: str = "reference"


# The app id under which the demo links orders in the Richpanel sandbox.
DEMO_APP_CLIENT_ID = "shopify-demo-store"


def run_demo(messages: list[DemoMessage], options: DemoOptions, console: Console) -> dict[str, Any]:
    """Run the demo and return the report (see the README for its fields)."""
    with tempfile.TemporaryDirectory(prefix="rpmw-demo-") as scratch:
        data_dir = options.data_dir or Path(scratch)
        return _run(messages, options, console, data_dir)


def _run(
    messages: list[DemoMessage], options: DemoOptions, console: Console, data_dir: Path
) -> dict[str, Any]:
    api_key = secrets.token_urlsafe(24)
    webhook_token = secrets.token_urlsafe(24)
    shopify_token = f"shpat_{secrets.token_hex(16)}"
    sandbox_app, _ = create_richpanel_sandbox(
        RichpanelSandboxSettings(api_key=api_key, rate_limit_enabled=options.rate_limit)
    )
    shopify_app, _ = create_shopify_sandbox(ShopifySandboxSettings(access_token=shopify_token))
    clock = ConversationClock()
    with (
        ServerThread(sandbox_app) as sandbox,
        ServerThread(shopify_app) as shopify,
        contextlib.ExitStack() as extra,
    ):
        model_settings, sandbox_llm = _model_settings(options, data_dir, extra, console)
        settings = Settings(
            **model_settings,
            data_dir=data_dir,
            webhook_tokens=[SecretStr(webhook_token)],
            richpanel_base_url=sandbox.base_url,
            richpanel_api_key=SecretStr(api_key),
            richpanel_requests_per_30s=50 if options.rate_limit else None,
            concurrency=options.concurrency,
            shopify_shop_url=shopify.base_url,
            shopify_access_token=SecretStr(shopify_token),
        )
        console.print("[dim]Preparing the local classifier (trained once, then cached)...[/dim]")
        stack = build_stack(settings)
        # Every conversation of the demo may get a verified order reply.
        stack.flags.set("tier2_rollout_percent", 100)
        runner = attach_worker(stack, model_cache_dir=options.model_cache_dir, estimate_clock=clock)
        app = create_app(
            stack.ingress(), readiness_check=stack.readiness_check, registry=stack.metrics.registry
        )
        try:
            with (
                ServerThread(app) as ingress,
                httpx.Client(base_url=sandbox.base_url, timeout=30) as admin,
                httpx.Client(base_url=shopify.base_url, timeout=30) as store,
            ):
                admin.post(
                    "/_sandbox/config",
                    json={
                        "webhook_url": f"{ingress.base_url}/webhook",
                        "webhook_token": webhook_token,
                    },
                ).raise_for_status()
                _pin_store_clock(messages, store)
                runner.start()
                started = time.perf_counter()
                created = _create_and_wait(
                    messages, _Seeder(admin, store, clock), stack, options, console
                )
                duration_s = time.perf_counter() - started
                runner.stop()
                report = _report(messages, created, admin, stack, duration_s)
                report["sandbox_llm"] = sandbox_llm
        finally:
            stack.close()
    return report


def chosen_classifier(classifier: str | None) -> str:
    """Return the classifier the demo runs: `classifier`, else RPMW_CLASSIFIER, else local."""
    return classifier or os.environ.get("RPMW_CLASSIFIER", "local")


def llm_base_url_configured() -> bool:
    """Return whether RPMW_LLM_BASE_URL is set. When it is unset or empty, the demo starts the sandbox LLM."""
    return bool(os.environ.get("RPMW_LLM_BASE_URL"))


def _model_settings(
    options: DemoOptions, data_dir: Path, extra: contextlib.ExitStack, console: Console
) -> tuple[dict[str, Any], str | None]:
    """Return the settings for the chosen classifier and the sandbox LLM's decision source.

    The sandbox LLM starts only for the llm and cascade classifiers without a configured
    LLM, and the decision source is None when it does not start.
    """
    chosen = chosen_classifier(options.classifier)
    if chosen == "local":
        return {"classifier": "local"}, None
    if llm_base_url_configured():
        return {"classifier": chosen}, None
    decisions: DecisionSource = KeywordDecisions()
    if options.sandbox_llm == "reference":
        model = load_or_train_model(options.model_cache_dir or data_dir / "models")
        config_dir = Settings(data_dir=data_dir).config_dir
        secondary_min = load_app_config(config_dir).policy.thresholds.secondary_min
        decisions = ReferenceDecisions(LocalClassifier(model, secondary_min=secondary_min))
    endpoint = start_llm_sandbox(extra, decisions)
    console.print(
        f"[dim]RPMW_LLM_BASE_URL is not set: using the sandbox LLM at {endpoint.base_url} "
        f"({decisions.name} decisions).[/dim]"
    )
    settings = {
        "classifier": chosen,
        "llm_base_url": endpoint.base_url,
        "llm_api_key": SecretStr(endpoint.api_key),
        "llm_model": endpoint.model,
    }
    return settings, decisions.name


def _pin_store_clock(messages: list[DemoMessage], store: httpx.Client) -> None:
    """Measure the store's 60-day order visibility from the latest `now` of the input."""
    pinned = [message.now for message in messages if message.now is not None]
    if pinned:
        latest = max(pinned).astimezone(UTC).isoformat()
        store.post("/_sandbox/shopify/config", json={"now": latest}).raise_for_status()


@dataclass(frozen=True, slots=True)
class _Seeder:
    """Creates one conversation per message with its customer and orders, then fires it."""

    admin: httpx.Client
    store: httpx.Client
    clock: ConversationClock

    def create(self, message: DemoMessage) -> dict[str, Any]:
        response = self.admin.post(
            "/_sandbox/conversations",
            json={
                "channel": message.channel,
                "text": message.text,
                "customer": message.customer,
                "fire_webhook": False,
            },
        )
        response.raise_for_status()
        conversation = dict(response.json())
        ticket_id = conversation["ticket_id"]
        for order in message.orders:
            seeded = self.store.post("/_sandbox/shopify/orders", json=order.model_dump(mode="json"))
            seeded.raise_for_status()
            if message.linked_order == order.number:
                order_id = str(seeded.json()["id"]).rsplit("/", 1)[-1]
                self.admin.post(
                    "/_sandbox/orders",
                    json={
                        "app_client_id": DEMO_APP_CLIENT_ID,
                        "order_id": order_id,
                        "order": order.to_richpanel_order(order_id),
                        "conversation_id": ticket_id,
                    },
                ).raise_for_status()
        if message.now is not None:
            self.clock.pin(ticket_id, message.now)
        fired = self.admin.post(
            f"/_sandbox/conversations/{encode_path_segment(ticket_id)}/fire-webhook"
        )
        fired.raise_for_status()
        conversation["webhook_status"] = fired.json().get("webhook_status")
        return conversation


def _create_and_wait(
    messages: list[DemoMessage],
    seeder: _Seeder,
    stack: Any,
    options: DemoOptions,
    console: Console,
) -> list[dict[str, Any]]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        sending = progress.add_task("webhooks fired ", total=len(messages))
        processing = progress.add_task("events processed", total=len(messages))

        def create(message: DemoMessage) -> dict[str, Any]:
            conversation = seeder.create(message)
            progress.advance(sending)
            return conversation

        with ThreadPoolExecutor(max_workers=8) as pool:
            created = list(pool.map(create, messages))

        deadline = time.monotonic() + options.timeout_s
        while time.monotonic() < deadline:
            counts = stack.decisions.count_by_outcome()
            done = sum(counts.values())
            stats = stack.queue.stats()
            progress.update(processing, completed=min(done, len(messages)))
            if stats.pending == 0 and stats.in_flight == 0 and stack.runner.busy == 0:
                break
            time.sleep(0.1)
        progress.update(
            processing,
            completed=min(sum(stack.decisions.count_by_outcome().values()), len(messages)),
        )
    return created


def _report(
    messages: list[DemoMessage],
    created: list[dict[str, Any]],
    admin: httpx.Client,
    stack: Any,
    duration_s: float,
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    processed = failed = 0
    for message, conversation in zip(messages, created, strict=True):
        ticket_id = conversation["ticket_id"]
        record = stack.decisions.latest_for(ticket_id) or {}
        plan = record.get("plan") or {}
        summary = admin.get(f"/_sandbox/conversations/{encode_path_segment(ticket_id)}").json()
        outcome = record.get("outcome")
        order_match = record.get("order_match") or {}
        reply_texts = summary.get("reply_texts") or []
        if outcome in ("completed", "skipped"):
            processed += 1
        elif outcome == "failed":
            failed += 1
        rows.append(
            {
                "input_id": message.input_id,
                "conversation_id": ticket_id,
                "primary_intent": plan.get("primary_intent"),
                "secondary_intents": plan.get("secondary_intents", []),
                "destination_team": plan.get("destination_team"),
                "tier": plan.get("tier"),
                "action": plan.get("action"),
                "template_id": plan.get("template_id"),
                "routing_confidence": plan.get("routing_confidence"),
                "tags": summary.get("tags", []),
                "replies": summary.get("replies", 0),
                "closed": summary.get("closed", False),
                "order_match": {
                    "method": order_match.get("method", "none"),
                    "order_number": order_match.get("order_number"),
                    "looked_up": bool(order_match),
                    "reason": order_match.get("reason", ""),
                    "lookup_failed": bool(order_match.get("lookup_failed", False)),
                },
                "order_answer": record.get("order_answer"),
                "reply_text": reply_texts[-1] if reply_texts else None,
                "classifier_version": record.get("classifier_version"),
                "model_failure": bool(record.get("model_failure", False)),
                "llm_calls": int(record.get("llm_calls", 0)),
                "cost_usd": float(record.get("cost_usd", 0.0)),
                "outcome": outcome,
                "webhook_status": conversation.get("webhook_status"),
            }
        )
    llm_calls = sum(row["llm_calls"] for row in rows)
    cost = sum(row["cost_usd"] for row in rows)
    return {
        "messages": len(messages),
        "classifier": stack.settings.classifier,
        "llm_share": round(sum(1 for row in rows if _classifier_called_llm(row)) / len(rows), 4)
        if rows
        else 0.0,
        "llm_calls": llm_calls,
        "model_failures": sum(1 for row in rows if row["model_failure"]),
        "cost_usd": round(cost, 6),
        "cost_usd_per_1000_messages": round(cost / len(rows) * 1000, 6) if rows else 0.0,
        "processed": processed,
        "failed": failed,
        "dead_lettered": stack.queue.stats().dead_lettered,
        "duration_s": round(duration_s, 3),
        "conversations": rows,
    }


def _classifier_called_llm(row: dict[str, Any]) -> bool:
    """Return whether the message's classifier called the LLM, as `rpmw eval`'s llm_share counts.

    Calls of the Tier 2 verifier do not count. A decision from the LLM classifier has a
    version that starts with `llm:` or `cascade:llm:`. A failed classification has the
    version `fail_closed` and gets no verifier call, so its LLM calls are the classifier's.
    """
    version = str(row.get("classifier_version") or "")
    if version.startswith(("llm:", "cascade:llm:")):
        return True
    return version == "fail_closed" and row["llm_calls"] > 0
