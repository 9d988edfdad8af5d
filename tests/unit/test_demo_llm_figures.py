"""`rpmw demo` LLM figures: the LLM share, the sandbox decision source and the no-effect note."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from richpanel_middleware.runtime.local.server_thread import ServerThread
from richpanel_middleware.sandbox.llm_app import create_llm_sandbox
from richpanel_middleware.sandbox.llm_state import LlmSandboxSettings

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

NO_EFFECT = "--sandbox-llm keywords has no effect"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Working folder shared by the module's runs, so the demo trains its model once."""
    return tmp_path_factory.mktemp("demo")


@pytest.fixture(scope="module")
def llm_server() -> Iterator[tuple[str, str]]:
    """A keyword-deciding sandbox LLM on loopback, as (base URL, accepted API key)."""
    key = secrets.token_urlsafe(16)
    app, _ = create_llm_sandbox(LlmSandboxSettings(api_key=key))
    with ServerThread(app) as server:
        yield f"{server.base_url}/v1", key


def run_demo(
    directory: Path, report: Path, *args: str, env: Mapping[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, "-m", "richpanel_middleware", "demo", "--report", str(report), *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=280,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    return completed, json.loads(report.read_text(encoding="utf-8"))


def test_demo_share_excludes_verifier_calls(demo_dir: Path) -> None:
    completed, report = run_demo(demo_dir, demo_dir / "cascade.json", "--classifier", "cascade")
    rows = report["conversations"]
    decided_by_llm = [r for r in rows if r["classifier_version"].startswith("cascade:llm:")]
    verifier_only = [
        r for r in rows if r["classifier_version"].startswith("cascade:local:") and r["llm_calls"]
    ]

    assert report["model_failures"] == 0
    # The sample has verified order replies to messages the local model decided, and the
    # verifier calls the model for each of them.
    assert verifier_only
    assert report["llm_share"] == round(len(decided_by_llm) / len(rows), 4)
    assert report["llm_calls"] == sum(r["llm_calls"] for r in rows)
    assert report["sandbox_llm"] == "reference"
    assert "has no effect" not in " ".join(completed.stderr.split())


def test_demo_note_for_local_classifier(demo_dir: Path) -> None:
    completed, report = run_demo(
        demo_dir,
        demo_dir / "local.json",
        "--classifier",
        "local",
        "--sandbox-llm",
        "keywords",
        "--limit",
        "2",
    )

    message = " ".join(completed.stderr.split())
    assert f"{NO_EFFECT}: the local classifier calls no LLM" in message
    assert report["sandbox_llm"] is None


def test_demo_note_for_configured_llm(demo_dir: Path, llm_server: tuple[str, str]) -> None:
    base_url, key = llm_server
    completed, report = run_demo(
        demo_dir,
        demo_dir / "configured.json",
        "--classifier",
        "llm",
        "--sandbox-llm",
        "keywords",
        "--limit",
        "2",
        env={
            "RPMW_LLM_BASE_URL": base_url,
            "RPMW_LLM_API_KEY": key,
            "RPMW_LLM_MODEL": "sandbox-model",
        },
    )

    message = " ".join(completed.stderr.split())
    assert f"{NO_EFFECT}: RPMW_LLM_BASE_URL is set, so the configured LLM is called" in message
    assert report["sandbox_llm"] is None
    assert report["llm_share"] == 1.0


def test_demo_records_keyword_source(demo_dir: Path) -> None:
    completed, report = run_demo(
        demo_dir,
        demo_dir / "keywords.json",
        "--classifier",
        "llm",
        "--sandbox-llm",
        "keywords",
        "--limit",
        "2",
    )

    assert report["sandbox_llm"] == "keywords"
    assert report["llm_share"] == 1.0
    assert "has no effect" not in " ".join(completed.stderr.split())
