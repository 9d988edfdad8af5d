"""report.html renders in headless Chromium with both images loaded."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.eval.helpers import run_rpmw, write_labelled

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium_or_skip() -> str:
    if CHROMIUM is not None:
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium); CI installs it")


def test_report_html_images_load(tmp_path: Path, model_cache_dir: Path) -> None:
    browser = _chromium_or_skip()
    golden = write_labelled(
        tmp_path / "g.jsonl",
        [
            ("Please cancel order #12345, I ordered the wrong size", "cancel_order"),
            ("I'm filing a chargeback with my bank today", "chargeback_dispute"),
            ("Where is my package? The tracking has not moved", "order_status_tracking"),
            ("The mug arrived smashed to pieces", "damaged_item"),
        ],
    )
    out = tmp_path / "out"
    completed = run_rpmw(
        "eval",
        "--golden",
        str(golden),
        "--out",
        str(out),
        env={"RPMW_MODEL_CACHE_DIR": str(model_cache_dir)},
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
