"""The committed golden set: valid rows, the promised composition, no training overlap."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from richpanel_middleware.classify.local_model import load_training_corpus
from richpanel_middleware.domain.intents import Intent
from richpanel_middleware.eval.golden import GoldenExample, is_held_out
from tests.eval.helpers import run_rpmw

GOLDEN = Path(__file__).resolve().parents[2] / "eval" / "golden"


def _rows() -> list[GoldenExample]:
    rows: list[GoldenExample] = []
    for path in sorted(GOLDEN.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(GoldenExample.model_validate(json.loads(line)))
    return rows


def test_golden_rows_validate_and_ids_unique() -> None:
    rows = _rows()
    assert len(rows) >= 600
    assert len({row.id for row in rows}) == len(rows)


def test_golden_covers_every_intent() -> None:
    counts = Counter(row.primary_intent for row in _rows())
    thin = {intent.value: counts[intent] for intent in Intent if counts[intent] < 12}
    assert thin == {}


def test_golden_composition() -> None:
    rows = _rows()
    assert sum(1 for row in rows if row.max_tier == 0) >= 80
    assert sum(1 for row in rows if row.secondary_intents) >= 60
    assert sum(1 for row in rows if row.notes.startswith("manipulation")) >= 40
    assert sum(1 for row in rows if row.language == "es") >= 50


def test_held_out_share_is_at_least_a_fifth() -> None:
    rows = _rows()
    assert sum(is_held_out(row.id) for row in rows) / len(rows) >= 0.20


def test_golden_texts_not_in_training_corpus() -> None:
    training = {example.text.strip().lower() for example in load_training_corpus()}
    overlap = [row.id for row in _rows() if row.text.strip().lower() in training]
    assert overlap == []


def test_golden_texts_unique() -> None:
    texts = [row.text.strip().lower() for row in _rows()]
    assert len(set(texts)) == len(texts)


def test_disabled_tier0_rules_fail_named_gate(
    local_classifier: object, monkeypatch: object
) -> None:
    import pytest

    from richpanel_middleware.classify import local_model
    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.eval.gates import evaluate_gates
    from richpanel_middleware.eval.golden import load_examples
    from richpanel_middleware.eval.metrics import compute_metrics
    from richpanel_middleware.eval.runner import predict

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    config = load_app_config()
    examples = [e for e in load_examples(GOLDEN) if e.max_tier == 0]
    monkeypatch.setattr(local_model, "match_tier0", lambda text: ())
    predictions = predict(examples, local_classifier, config.policy, config.default_flags)  # type: ignore[arg-type]
    failed = {
        gate.name for gate in evaluate_gates(compute_metrics(predictions), None) if not gate.passed
    }
    assert "tier0_false_negatives" in failed


def test_lowered_threshold_fails_named_gate(tmp_path: Path, model_cache_dir: Path) -> None:
    import shutil

    from richpanel_middleware.configuration import default_config_dir

    config_dir = tmp_path / "config"
    shutil.copytree(default_config_dir(), config_dir)
    thresholds = config_dir / "thresholds.yaml"
    text = thresholds.read_text(encoding="utf-8")
    for old, new in (
        ("tier1_template_min: 0.60", "tier1_template_min: 0.0"),
        ("team_min: 0.60", "team_min: 0.0"),
        ("uncertain_min: 0.50", "uncertain_min: 0.0"),
    ):
        assert old in text
        text = text.replace(old, new)
    thresholds.write_text(text, encoding="utf-8")
    baseline = GOLDEN.parent / "baseline" / "metrics.json"
    completed = run_rpmw(
        "eval",
        "--golden",
        str(GOLDEN),
        "--baseline",
        str(baseline),
        "--out",
        str(tmp_path / "out"),
        env={"RPMW_CONFIG_DIR": str(config_dir), "RPMW_MODEL_CACHE_DIR": str(model_cache_dir)},
    )
    assert completed.returncode == 1
    assert "gate failed: reply_precision_vs_baseline" in completed.stderr.replace("\n", " ")
