"""The HTML report: a confusion-matrix heat map and a reliability diagram as embedded PNGs."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

# The object-oriented Figure API renders to PNG bytes without pyplot's global state or a display.
from matplotlib.figure import Figure

from richpanel_middleware.eval.gates import GateResult
from richpanel_middleware.eval.metrics import Prediction, calibration_bins, confusion_counts


def render_html(
    metrics: dict[str, Any], predictions: Sequence[Prediction], gates: Sequence[GateResult]
) -> str:
    heatmap = _png(_heatmap_figure(predictions))
    reliability = _png(_reliability_figure(predictions))
    gate_rows = "".join(
        f'<tr><td>{html.escape(g.name)}</td><td class="{"pass" if g.passed else "fail"}">'
        f"{'pass' if g.passed else 'FAIL'}</td><td>{html.escape(g.detail)}</td></tr>"
        for g in gates
    )
    split_rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{part['labelled']}</td><td>{part['accuracy']:.4f}</td>"
        f"<td>{part['macro_f1']:.4f}</td><td>{part['tier0_recall']:.4f}</td></tr>"
        for name, part in (("all", metrics), *metrics.get("splits", {}).items())
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 8px}}
.pass{{color:#166534}}.fail{{color:#b91c1c;font-weight:bold}}</style></head>
<body>
<h1>Evaluation report</h1>
<table><tr><th>split</th><th>labelled</th><th>accuracy</th><th>macro F1</th><th>Tier 0 recall</th></tr>
{split_rows}</table>
<h2>Gates</h2><table><tr><th>gate</th><th>result</th><th>detail</th></tr>{gate_rows}</table>
<h2>Confusion matrix</h2>
<img id="heatmap" alt="confusion matrix heat map" src="data:image/png;base64,{heatmap}">
<h2>Reliability diagram</h2>
<img id="reliability" alt="reliability diagram" src="data:image/png;base64,{reliability}">
<script>
window.addEventListener("load", () => {{
  const images = Array.from(document.images);
  document.body.dataset.imagesLoaded =
    String(images.length > 0 && images.every((image) => image.complete && image.naturalWidth > 0));
}});
</script>
</body></html>
"""


def _heatmap_figure(predictions: Sequence[Prediction]) -> Figure:
    labels, pairs = confusion_counts(predictions)
    matrix = [[pairs.get((expected, predicted), 0) for predicted in labels] for expected in labels]
    figure = Figure(figsize=(10, 9))
    axes = figure.subplots()
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    axes.set_yticks(range(len(labels)), labels, fontsize=7)
    axes.set_xlabel("predicted")
    axes.set_ylabel("expected")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    return figure


def _reliability_figure(predictions: Sequence[Prediction]) -> Figure:
    labelled = [p for p in predictions if p.example.labelled]
    centres, accuracies, counts = [], [], []
    for low, high, members in calibration_bins(labelled):
        if members:
            centres.append((low + high) / 2)
            accuracies.append(sum(p.correct for p in members) / len(members))
            counts.append(len(members))
    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    axes.bar(centres, accuracies, width=0.09, alpha=0.7, label="accuracy per confidence bin")
    axes.set_xlabel("routing confidence")
    axes.set_ylabel("accuracy")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return figure


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")
