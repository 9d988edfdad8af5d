"""`rpmw eval` with failing model calls, and the note for a `--sandbox-llm` that has no effect."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from richpanel_middleware.classify.llm_classifier import LlmClassifier
from richpanel_middleware.classify.llm_client import LlmFailure, LlmFailureKind, LlmUsage
from richpanel_middleware.configuration import AppConfig, load_app_config
from richpanel_middleware.domain.intents import Intent
from richpanel_middleware.eval.golden import EvalExample
from richpanel_middleware.eval.metrics import compute_metrics
from richpanel_middleware.eval.runner import predict
from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox.llm_app import create_llm_sandbox
from richpanel_middleware.sandbox.llm_state import LlmSandboxSettings
from tests.eval.helpers import run_rpmw, write_labelled

pytestmark = pytest.mark.timeout(300)

ROWS = [
    ("I want to cancel my order #12345 please", "cancel_order"),
    ("I'm filing a chargeback with my bank", "chargeback_dispute"),
]
NO_EFFECT = "--sandbox-llm keywords has no effect"


class _RejectingModel:
    """A model client that fails every call the way a server with a wrong API key does."""

    def __init__(self, failure: Exception) -> None:
        self.failure = failure
        self.calls = 0

    def complete_json(self, **_: Any) -> Any:
        self.calls += 1
        raise self.failure


@pytest.fixture(scope="module")
def config() -> AppConfig:
    return load_app_config()


@pytest.fixture(scope="module")
def llm_server() -> Iterator[tuple[str, str]]:
    """A keyword-deciding sandbox LLM on loopback, as (base URL, accepted API key)."""
    key = secrets.token_urlsafe(16)
    app, _ = create_llm_sandbox(LlmSandboxSettings(api_key=key))
    with ServerThread(app) as server:
        yield f"{server.base_url}/v1", key


def _examples() -> list[EvalExample]:
    return [
        EvalExample(
            example_id=f"e{n}",
            text=text,
            channel="email",
            acceptable=(Intent(intent),),
            primary=Intent(intent),
            max_tier=None,
            held_out=False,
            schema_valid=True,
        )
        for n, (text, intent) in enumerate(ROWS)
    ]


def _classifier(client: _RejectingModel, config: AppConfig) -> LlmClassifier:
    return LlmClassifier(
        client,
        model="gpt-4o-mini",
        teams=sorted(config.policy.routing.team_names),
        template_ids=config.policy.catalog.template_ids,
        config=config.llm,
    )


def test_predict_counts_rejected_call(config: AppConfig) -> None:
    failure = LlmFailure(
        LlmFailureKind.AUTH,
        "LLM chat call failed with auth after 1 attempt: HTTP 401 invalid_api_key",
        status_code=401,
        usage=LlmUsage(input_tokens=0, output_tokens=0),
    )
    client = _RejectingModel(failure)

    predictions = predict(
        _examples(), _classifier(client, config), config.policy, config.default_flags
    )

    assert client.calls == 2
    assert [p.model_failed for p in predictions] == [True, True]
    assert [p.failure_kind for p in predictions] == ["auth", "auth"]
    assert all("HTTP 401" in (p.failure_message or "") for p in predictions)
    assert [p.usage.llm_calls for p in predictions] == [1, 1]
    metrics = compute_metrics(predictions)
    assert metrics["llm_calls"] == 2
    assert metrics["model_failures"] == 2
    assert metrics["model_failure_kinds"] == {"auth": 2}


def test_predict_names_other_error_class(config: AppConfig) -> None:
    client = _RejectingModel(KeyError("customer text"))

    predictions = predict(
        _examples(), _classifier(client, config), config.policy, config.default_flags
    )

    assert [p.failure_kind for p in predictions] == ["KeyError", "KeyError"]
    assert [p.failure_message for p in predictions] == [None, None]
    assert [p.usage.llm_calls for p in predictions] == [0, 0]
    assert compute_metrics(predictions)["model_failure_kinds"] == {"KeyError": 2}


def test_eval_prints_failures_by_kind(tmp_path: Path, llm_server: tuple[str, str]) -> None:
    base_url, _ = llm_server
    golden = write_labelled(tmp_path / "g.jsonl", ROWS)
    out = tmp_path / "out"

    completed = run_rpmw(
        "eval",
        "--golden",
        str(golden),
        "--out",
        str(out),
        "--classifier",
        "llm",
        env={
            "RPMW_LLM_BASE_URL": base_url,
            "RPMW_LLM_API_KEY": "wrong-key",
            "RPMW_LLM_MODEL": "sandbox-model",
        },
    )

    message = " ".join(completed.stderr.split())
    assert "Traceback" not in completed.stderr
    assert "2 calls, 2 model failures" in message
    assert "model failures by kind: auth 2" in message
    assert "auth, first failure:" in message
    assert "HTTP 401" in message
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["model_failure_kinds"] == {"auth": 2}
    assert metrics["llm_calls"] == 2
    assert metrics["model_failures"] == 2


def test_eval_note_for_local_classifier(tmp_path: Path) -> None:
    golden = write_labelled(tmp_path / "g.jsonl", ROWS[:1])

    explicit = run_rpmw(
        "eval", "--golden", str(golden), "--out", str(tmp_path / "a"), "--sandbox-llm", "keywords"
    )
    default = run_rpmw("eval", "--golden", str(golden), "--out", str(tmp_path / "b"))

    assert explicit.returncode == 0, explicit.stderr[-2000:]
    explicit_message = " ".join(explicit.stderr.split())
    assert f"{NO_EFFECT}: the local classifier calls no LLM" in explicit_message
    assert default.returncode == 0, default.stderr[-2000:]
    assert "has no effect" not in " ".join(default.stderr.split())


def test_eval_note_for_configured_llm(tmp_path: Path, llm_server: tuple[str, str]) -> None:
    base_url, key = llm_server
    golden = write_labelled(tmp_path / "g.jsonl", ROWS)
    out = tmp_path / "out"

    completed = run_rpmw(
        "eval",
        "--golden",
        str(golden),
        "--out",
        str(out),
        "--classifier",
        "llm",
        "--sandbox-llm",
        "keywords",
        env={
            "RPMW_LLM_BASE_URL": base_url,
            "RPMW_LLM_API_KEY": key,
            "RPMW_LLM_MODEL": "sandbox-model",
        },
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    message = " ".join(completed.stderr.split())
    assert f"{NO_EFFECT}: RPMW_LLM_BASE_URL is set, so the configured LLM is called" in message
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["sandbox_llm"] is None
    assert metrics["model_failure_kinds"] == {}


def test_eval_no_note_for_sandbox(tmp_path: Path) -> None:
    golden = write_labelled(tmp_path / "g.jsonl", ROWS[:1])

    completed = run_rpmw(
        "eval",
        "--golden",
        str(golden),
        "--out",
        str(tmp_path / "out"),
        "--classifier",
        "llm",
        "--sandbox-llm",
        "keywords",
        env={"RPMW_LLM_BASE_URL": ""},
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "has no effect" not in " ".join(completed.stderr.split())


def test_eval_rejects_empty_sandbox_llm(tmp_path: Path) -> None:
    golden = write_labelled(tmp_path / "g.jsonl", ROWS[:1])

    completed = run_rpmw(
        "eval", "--golden", str(golden), "--out", str(tmp_path / "out"), "--sandbox-llm", ""
    )

    assert completed.returncode == 2
    assert "--sandbox-llm '' is unknown" in " ".join(completed.stderr.split())


def test_classify_ignores_rpmw_classifier() -> None:
    completed = run_rpmw(
        "classify", "where is my order #1001", env={"RPMW_CLASSIFIER": "llm"}, timeout_s=120
    )

    assert completed.returncode == 0, completed.stderr[-2000:]
    output = json.loads(completed.stdout)
    assert output["decision"]["primary_intent"] == "order_status_tracking"
