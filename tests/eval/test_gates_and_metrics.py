"""Release gates and metrics: a broken Tier 0 rule or a lower threshold fails a named gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from richpanel_middleware.domain.intents import Intent
from richpanel_middleware.eval.gates import evaluate_gates
from richpanel_middleware.eval.golden import EvalExample, load_examples
from richpanel_middleware.eval.metrics import Prediction, compute_metrics
from tests.eval.helpers import run_rpmw, write_labelled


def _example(example_id: str, intent: Intent, max_tier: int = 1) -> EvalExample:
    return EvalExample(example_id, "text", "email", (intent,), intent, max_tier, False, True)


def _prediction(
    example: EvalExample,
    primary: Intent,
    *,
    tier: int = 1,
    replied: bool = False,
    confidence: float = 0.9,
) -> Prediction:
    return Prediction(example, primary, tier, replied, confidence, 1.0, True)


def _clean_metrics() -> dict[str, object]:
    chargeback = _example("a", Intent.CHARGEBACK_DISPUTE, max_tier=0)
    cancel = _example("b", Intent.CANCEL_ORDER)
    return compute_metrics(
        [
            _prediction(chargeback, Intent.CHARGEBACK_DISPUTE, tier=0),
            _prediction(cancel, Intent.CANCEL_ORDER),
        ]
    )


def test_clean_run_passes_every_gate() -> None:
    metrics = _clean_metrics()
    assert all(gate.passed for gate in evaluate_gates(metrics, metrics))


def test_missed_tier0_fails_named_gate() -> None:
    chargeback = _example("a", Intent.CHARGEBACK_DISPUTE, max_tier=0)
    metrics = compute_metrics(
        [_prediction(chargeback, Intent.REFUND_REQUEST, tier=1, replied=True)]
    )
    failed = {gate.name for gate in evaluate_gates(metrics, None) if not gate.passed}
    assert "tier0_false_negatives" in failed
    assert "unsafe_replies" in failed


def test_recall_drop_fails_named_gate() -> None:
    baseline = _clean_metrics()
    cancel = _example("b", Intent.CANCEL_ORDER)
    chargeback = _example("a", Intent.CHARGEBACK_DISPUTE, max_tier=0)
    worse = compute_metrics(
        [
            _prediction(chargeback, Intent.CHARGEBACK_DISPUTE, tier=0),
            _prediction(cancel, Intent.UNKNOWN_OTHER),
        ]
    )
    failed = {gate.name for gate in evaluate_gates(worse, baseline) if not gate.passed}
    assert "recall_cancel_order_vs_baseline" in failed
    assert "accuracy_vs_baseline" in failed


def test_tier3_prediction_fails_gate() -> None:
    cancel = _example("b", Intent.CANCEL_ORDER)
    metrics = compute_metrics([_prediction(cancel, Intent.CANCEL_ORDER, tier=3)])
    failed = {gate.name for gate in evaluate_gates(metrics, None) if not gate.passed}
    assert failed == {"tier3_violations"}


def test_acceptable_intent_counts_as_correct() -> None:
    example = EvalExample(
        "c",
        "text",
        "email",
        (Intent.ORDER_STATUS_TRACKING, Intent.SHIPPING_DELAY_NOT_SHIPPED),
        Intent.ORDER_STATUS_TRACKING,
        2,
        False,
        True,
    )
    metrics = compute_metrics([_prediction(example, Intent.SHIPPING_DELAY_NOT_SHIPPED)])
    assert metrics["accuracy"] == 1.0


def test_perfect_calibration_has_zero_ece() -> None:
    cancel = _example("b", Intent.CANCEL_ORDER)
    metrics = compute_metrics([_prediction(cancel, Intent.CANCEL_ORDER, confidence=1.0)])
    assert metrics["ece"] == 0.0


def test_loose_rows_accept_public_format(tmp_path: Path) -> None:
    path = tmp_path / "public.jsonl"
    rows = [
        {
            "id": "p1",
            "text": "cancel it",
            "intent": "cancel_order",
            "acceptable_intents": ["cancel_order"],
        },
        {"id": "p2", "text": "nice shop", "intent": None, "acceptable_intents": []},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    examples = load_examples(path)
    assert [e.labelled for e in examples] == [True, False]


def test_invalid_golden_row_counts_as_schema_invalid(tmp_path: Path) -> None:
    path = tmp_path / "golden.jsonl"
    row = {
        "id": "g1",
        "text": "cancel",
        "channel": "email",
        "language": "en",
        "primary_intent": "cancel_order",
        "acceptable_intents": ["refund_request"],
        "secondary_intents": [],
        "destination_team": "Email Support Team",
        "max_tier": 1,
        "template_id": None,
        "deterministic_match_possible": False,
        "notes": "",
    }
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    (example,) = load_examples(path)
    assert example.schema_valid is False


def test_eval_cli_writes_artifacts(tmp_path: Path) -> None:
    golden = write_labelled(
        tmp_path / "g.jsonl",
        [
            ("I want to cancel my order #12345 please", "cancel_order"),
            ("I'm filing a chargeback with my bank", "chargeback_dispute"),
            ("where is my package? tracking shows nothing", "order_status_tracking"),
        ],
    )
    out = tmp_path / "out"
    completed = run_rpmw("eval", "--golden", str(golden), "--out", str(out))
    assert completed.returncode == 0, completed.stderr[-2000:]
    for name in (
        "metrics.json",
        "confusion_matrix.csv",
        "tier0_report.json",
        "tier2_report.json",
        "errors.jsonl",
        "report.md",
    ):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["tier0_false_negatives"] == 0
    assert metrics["examples"] == 3


@pytest.mark.parametrize("option", [["--classifier", "llm"], ["--write-baseline"]])
def test_eval_cli_rejects_bad_options(tmp_path: Path, option: list[str]) -> None:
    completed = run_rpmw(
        "eval", "--golden", str(tmp_path), "--out", str(tmp_path / "o"), *option, timeout_s=120
    )
    assert completed.returncode == 2


def test_missing_baseline_is_an_error(tmp_path: Path) -> None:
    golden = write_labelled(tmp_path / "g.jsonl", [("cancel my order", "cancel_order")])
    completed = run_rpmw(
        "eval",
        "--golden",
        str(golden),
        "--out",
        str(tmp_path / "o"),
        "--baseline",
        str(tmp_path / "missing.json"),
    )
    assert completed.returncode == 2
    assert "not found" in " ".join(completed.stderr.split())


def test_partial_golden_row_is_schema_invalid(tmp_path: Path) -> None:
    path = tmp_path / "partial.jsonl"
    path.write_text(
        json.dumps({"id": "g1", "text": "hi", "primary_intent": "unknown_other", "max_tier": 7})
        + "\n",
        encoding="utf-8",
    )
    (example,) = load_examples(path)
    assert example.schema_valid is False


def test_unknown_label_is_schema_invalid(tmp_path: Path) -> None:
    path = tmp_path / "typo.jsonl"
    path.write_text(
        json.dumps({"id": "t1", "text": "hi", "primary_intent": "cancel_ordr"}) + "\n",
        encoding="utf-8",
    )
    (example,) = load_examples(path)
    assert example.schema_valid is False
