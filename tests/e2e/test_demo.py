"""`rpmw demo` on the bundled sample, and the classifier on the Bitext evaluation set."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from richpanel_middleware.classify.local_model import LocalClassifier
from richpanel_middleware.configuration import load_app_config
from richpanel_middleware.policy.intent_selection import select_intents
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.e2e

BITEXT = REPO_ROOT.parent / "shared" / "data" / "bitext-customer-service" / "messages.jsonl"
sys.path.insert(0, str(REPO_ROOT / "tools"))

from check_demo_report import check, load_labels  # noqa: E402


def test_demo_sample_holds_invariants(tmp_path: Path, model_cache_dir: Path) -> None:
    report_path = tmp_path / "report.json"
    completed = subprocess.run(
        [sys.executable, "-m", "richpanel_middleware", "demo", "--report", str(report_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "RPMW_MODEL_CACHE_DIR": str(model_cache_dir)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert "By intent" in completed.stdout
    report = json.loads(report_path.read_text(encoding="utf-8"))
    figures, problems = check(
        report, load_labels(REPO_ROOT / "src/richpanel_middleware/demo/sample_messages.jsonl")
    )

    assert problems == []
    assert figures["messages"] == 50
    assert figures["tier0_conversations"] >= 4
    assert figures["tier0_replies"] == 0
    assert figures["replies"] > 0
    assert figures["accuracy_on_labelled"] >= 0.7
    # The sample's order-status rows come with seeded orders: verified answers go out, and
    # only the in-window estimates close their conversations.
    assert figures["verified_replies"] >= 4
    assert "verified order replies (Tier 2)" in completed.stdout
    assert "Example verified reply" in completed.stdout
    closed = [row for row in report["conversations"] if row["closed"]]
    assert closed and all(
        row["template_id"] == "t_order_eta_no_tracking_verified" for row in closed
    )
    matched = {row["input_id"]: row["order_match"] for row in report["conversations"]}
    assert matched["sample-41"]["method"] == "richpanel_link"
    assert matched["sample-49"]["method"] == "none"


def test_demo_rejects_bad_input_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine"}\n{"channel": "email"}\n', encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-m", "richpanel_middleware", "demo", "--messages", str(bad)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert "bad.jsonl:2" in completed.stderr
    assert "`text` is required" in completed.stderr


@pytest.mark.skipif(not BITEXT.exists(), reason="Bitext evaluation set not present beside the repo")
def test_bitext_accuracy_on_mapped_rows(local_classifier: LocalClassifier) -> None:
    thresholds = load_app_config().policy.thresholds
    rows = [json.loads(line) for line in BITEXT.read_text(encoding="utf-8").splitlines() if line]
    mapped = [row for row in rows if row["intent"]]
    sample = random.Random(5).sample(mapped, 600)
    correct = 0
    for row in sample:
        selection = select_intents(
            local_classifier.classify(row["text"]), secondary_min=thresholds.secondary_min
        )
        correct += selection.primary.value in row["acceptable_intents"]
    assert correct / len(sample) >= 0.80
