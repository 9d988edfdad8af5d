"""`rpmw demo`: the whole loop on one machine, against the Richpanel sandbox.

The demo starts the sandbox and the embedded stack (ingress, SQLite, worker) on loopback.
It creates one sandbox conversation per input message and fires its webhook the way a
Richpanel rule does. Once the queue is drained, it reads the effects (tags, replies,
closes) back from the sandbox for the report.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from richpanel_middleware.demo.messages import DemoMessage
from richpanel_middleware.helpdesk.richpanel import encode_path_segment
from richpanel_middleware.runtime.local.http_app import create_app
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.runtime.local.stack import attach_worker, build_stack
from richpanel_middleware.sandbox import RichpanelSandboxSettings, create_richpanel_sandbox
from richpanel_middleware.settings import Settings


@dataclass(frozen=True, slots=True)
class DemoOptions:
    concurrency: int = 4
    rate_limit: bool = False
    timeout_s: float = 600.0
    data_dir: Path | None = None
    model_cache_dir: Path | None = Path("var/models")


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
    sandbox_app, _ = create_richpanel_sandbox(
        RichpanelSandboxSettings(api_key=api_key, rate_limit_enabled=options.rate_limit)
    )
    with ServerThread(sandbox_app) as sandbox:
        settings = Settings(
            data_dir=data_dir,
            webhook_tokens=[SecretStr(webhook_token)],
            richpanel_base_url=sandbox.base_url,
            richpanel_api_key=SecretStr(api_key),
            richpanel_requests_per_30s=50 if options.rate_limit else None,
            concurrency=options.concurrency,
        )
        console.print("[dim]Preparing the local classifier (trained once, then cached)...[/dim]")
        stack = build_stack(settings)
        runner = attach_worker(stack, model_cache_dir=options.model_cache_dir)
        app = create_app(
            stack.ingress(), readiness_check=stack.readiness_check, registry=stack.metrics.registry
        )
        try:
            with (
                ServerThread(app) as ingress,
                httpx.Client(base_url=sandbox.base_url, timeout=30) as admin,
            ):
                admin.post(
                    "/_sandbox/config",
                    json={
                        "webhook_url": f"{ingress.base_url}/webhook",
                        "webhook_token": webhook_token,
                    },
                ).raise_for_status()
                runner.start()
                started = time.perf_counter()
                created = _create_and_wait(messages, admin, stack, options, console)
                duration_s = time.perf_counter() - started
                runner.stop()
                report = _report(messages, created, admin, stack, duration_s)
        finally:
            stack.close()
    return report


def _create_and_wait(
    messages: list[DemoMessage],
    admin: httpx.Client,
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
            response = admin.post(
                "/_sandbox/conversations",
                json={
                    "channel": message.channel,
                    "text": message.text,
                    "fire_webhook": True,
                },
            )
            response.raise_for_status()
            progress.advance(sending)
            return dict(response.json())

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
                "outcome": outcome,
                "webhook_status": conversation.get("webhook_status"),
            }
        )
    return {
        "messages": len(messages),
        "processed": processed,
        "failed": failed,
        "dead_lettered": stack.queue.stats().dead_lettered,
        "duration_s": round(duration_s, 3),
        "conversations": rows,
    }
