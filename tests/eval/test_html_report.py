"""report.html renders in headless Chromium with both images loaded."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium_or_skip() -> str:
    if CHROMIUM is not None:
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


def test_report_html_images_load(tmp_path: Path, model_cache_dir: Path) -> None:
    browser = _chromium_or_skip()
    golden = tmp_path / "g.jsonl"
    rows = [
        {"id": f"e{n}", "text": text, "primary_intent": intent, "acceptable_intents": [intent]}
        for n, (text, intent) in enumerate(
            [
                ("Please cancel order #12345, I ordered the wrong size", "cancel_order"),
                ("I'm filing a chargeback with my bank today", "chargeback_dispute"),
                ("Where is my package? The tracking has not moved", "order_status_tracking"),
                ("The mug arrived smashed to pieces", "damaged_item"),
            ]
        )
    ]
    golden.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "richpanel_middleware",
            "eval",
            "--golden",
            str(golden),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "RPMW_MODEL_CACHE_DIR": str(model_cache_dir)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]

    page = (out / "report.html").resolve()
    dom = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="heatmap"' in dom.stdout
    assert 'id="reliability"' in dom.stdout
    assert 'data-images-loaded="true"' in dom.stdout
