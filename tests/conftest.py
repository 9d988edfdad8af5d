"""Shared fixtures: a trained local model, the Richpanel sandbox and a running pipeline."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from richpanel_middleware.classify.local_model import LocalClassifier, LocalModel
from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.helpdesk.richpanel import encode_path_segment
from richpanel_middleware.pipeline.ports import EstimateClock
from richpanel_middleware.runtime.local.http_app import create_app
from richpanel_middleware.runtime.local.model_cache import load_or_train_model
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.runtime.local.stack import LocalStack, attach_worker, build_stack
from richpanel_middleware.sandbox import (
    RichpanelSandboxSettings,
    RichpanelSandboxState,
    create_richpanel_sandbox,
)
from richpanel_middleware.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_FILE = REPO_ROOT / "src/richpanel_middleware/demo/sample_messages.jsonl"


@pytest.fixture(scope="session")
def model_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="session")
def trained_model(model_cache_dir: Path) -> LocalModel:
    return load_or_train_model(model_cache_dir)


@pytest.fixture(scope="session")
def local_classifier(trained_model: LocalModel) -> LocalClassifier:
    return LocalClassifier(
        trained_model, secondary_min=load_app_config().policy.thresholds.secondary_min
    )


def sample_text(sample_id: str) -> str:
    for line in SAMPLE_FILE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == sample_id:
            return str(row["text"])
    raise KeyError(sample_id)


@dataclass
class Sandbox:
    server: ServerThread
    state: RichpanelSandboxState
    api_key: str
    admin: httpx.Client

    def create(
        self, text: str, *, channel: str = "email", fire: bool = True, **extra: Any
    ) -> dict[str, Any]:
        response = self.admin.post(
            "/_sandbox/conversations",
            json={"text": text, "channel": channel, "fire_webhook": fire, **extra},
        )
        response.raise_for_status()
        return dict(response.json())

    def summary(self, ticket_id: str) -> dict[str, Any]:
        response = self.admin.get(f"/_sandbox/conversations/{encode_path_segment(ticket_id)}")
        response.raise_for_status()
        return dict(response.json())

    def journal(self) -> list[dict[str, Any]]:
        return list(self.admin.get("/_sandbox/journal").json()["journal"])


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    api_key = secrets.token_urlsafe(16)
    app, state = create_richpanel_sandbox(
        RichpanelSandboxSettings(api_key=api_key, rate_limit_enabled=False)
    )
    with ServerThread(app) as server, httpx.Client(base_url=server.base_url, timeout=30) as admin:
        yield Sandbox(server, state, api_key, admin)


@dataclass
class Pipeline:
    stack: LocalStack
    ingress: ServerThread
    token: str

    def drain(self, timeout_s: float = 60.0) -> bool:
        assert self.stack.runner is not None
        return self.stack.runner.wait_until_drained(timeout_s=timeout_s)


@pytest.fixture
def start_pipeline(
    tmp_path: Path, sandbox: Sandbox, model_cache_dir: Path, trained_model: LocalModel
) -> Iterator[Callable[..., Pipeline]]:
    """Start ingress + worker against the sandbox; the sandbox fires webhooks at this ingress."""
    started: list[Pipeline] = []

    def start(
        *, worker: bool = True, estimate_clock: EstimateClock | None = None, **overrides: Any
    ) -> Pipeline:
        token = secrets.token_urlsafe(16)
        settings = Settings(
            data_dir=tmp_path / f"data{len(started)}",
            model_cache_dir=model_cache_dir,
            webhook_tokens=[SecretStr(token)],
            richpanel_base_url=sandbox.server.base_url,
            richpanel_api_key=SecretStr(sandbox.api_key),
            richpanel_requests_per_30s=None,
            concurrency=4,
            **overrides,
        )
        stack = build_stack(settings)
        if worker:
            attach_worker(stack, estimate_clock=estimate_clock)
        app = create_app(
            stack.ingress(), readiness_check=stack.readiness_check, registry=stack.metrics.registry
        )
        ingress = ServerThread(app).start()
        sandbox.admin.post(
            "/_sandbox/config",
            json={
                "webhook_url": f"{ingress.base_url}/webhook",
                "webhook_token": token,
            },
        ).raise_for_status()
        if stack.runner is not None:
            stack.runner.start()
        pipeline = Pipeline(stack, ingress, token)
        started.append(pipeline)
        return pipeline

    yield start
    for pipeline in started:
        pipeline.ingress.stop()
        pipeline.stack.close()
