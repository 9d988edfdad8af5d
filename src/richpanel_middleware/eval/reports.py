"""Write evaluation artifacts: metrics, confusion matrix, Tier 0/2 reports, errors, Markdown."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from richpanel_middleware.eval.gates import GateResult
from richpanel_middleware.eval.html_report import render_html
from richpanel_middleware.eval.metrics import Prediction, confusion_counts


def write_artifacts(
    out: Path,
    metrics: dict[str, Any],
    predictions: Sequence[Prediction],
    gates: Sequence[GateResult],
) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    _confusion(out / "confusion_matrix.csv", predictions)
    _tier_report(
        out / "tier0_report.json",
        [p for p in predictions if p.example.max_tier == 0],
        lambda p: p.tier != 0 or p.replied,
    )
    _tier_report(
        out / "tier2_report.json",
        [p for p in predictions if p.tier == 2],
        lambda p: (p.example.max_tier or 0) < 2,
    )
    with (out / "errors.jsonl").open("w", encoding="utf-8") as handle:
        for p in predictions:
            if p.example.labelled and not p.correct:
                handle.write(
                    json.dumps(
                        {
                            "id": p.example.example_id,
                            "expected": [i.value for i in p.example.acceptable],
                            "actual": p.primary.value,
                            "tier": p.tier,
                            "confidence": round(p.confidence, 4),
                            "text": p.example.text,
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
    (out / "report.md").write_text(_markdown(metrics, gates), encoding="utf-8")
    (out / "report.html").write_text(render_html(metrics, predictions, gates), encoding="utf-8")


def _confusion(path: Path, predictions: Sequence[Prediction]) -> None:
    labels, pairs = confusion_counts(predictions)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["expected \\ predicted", *labels])
        for expected in labels:
            writer.writerow(
                [expected, *(pairs.get((expected, predicted), 0) for predicted in labels)]
            )


def _tier_report(
    path: Path, predictions: Sequence[Prediction], failed: Callable[[Prediction], bool]
) -> None:
    rows: list[dict[str, Any]] = [
        {
            "id": p.example.example_id,
            "expected_max_tier": p.example.max_tier,
            "tier": p.tier,
            "replied": p.replied,
            "primary_intent": p.primary.value,
            "violation": bool(failed(p)),
        }
        for p in predictions
    ]
    document = {
        "examples": len(rows),
        "violations": sum(r["violation"] for r in rows),
        "rows": rows,
    }
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _markdown(metrics: dict[str, Any], gates: Sequence[GateResult]) -> str:
    lines = ["# Evaluation report", ""]
    if metrics.get("classifier"):
        lines += [f"Classifier: `{metrics['classifier']}`", ""]
    if metrics.get("llm_calls") or metrics.get("model_failures"):
        lines += [
            f"LLM: {metrics['llm_share']:.1%} of messages, {metrics['llm_calls']} calls, "
            f"{metrics['model_failures']} model failures, {metrics['cost_usd']:.4f} USD "
            f"({metrics['cost_usd_per_1000_messages']:.4f} per 1,000 messages).",
            "",
        ]
    if metrics.get("sandbox_llm"):
        lines += [
            f"The sandbox LLM answered ({metrics['sandbox_llm']} decisions): these figures "
            "describe the model path, not the system prompt or a hosted model.",
            "",
        ]
    lines += [
        "| split | examples | accuracy | macro F1 | Tier 0 recall |",
        "|---|---|---|---|---|",
    ]
    for name, split in (("all", metrics), *metrics.get("splits", {}).items()):
        lines.append(
            f"| {name} | {split['labelled']} | {split['accuracy']:.4f} | {split['macro_f1']:.4f} | "
            f"{split['tier0_recall']:.4f} |"
        )
    lines += ["", "| gate | result | detail |", "|---|---|---|"]
    lines += [f"| {g.name} | {'pass' if g.passed else 'FAIL'} | {g.detail} |" for g in gates]
    if metrics.get("tier2_decisions", 0) == 0:
        lines += ["", "No decision reached Tier 2, so the Tier 2 gate had nothing to check."]
    lines += ["", "| intent | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for intent, row in sorted(metrics["per_intent"].items()):
        lines.append(
            f"| {intent} | {row['precision']:.3f} | {row['recall']:.3f} | "
            f"{row['f1']:.3f} | {row['support']} |"
        )
    return "\n".join(lines) + "\n"
