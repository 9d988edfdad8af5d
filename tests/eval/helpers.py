"""Helpers for the evaluation tests: labelled JSONL files and `rpmw` runs in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path


def write_labelled(path: Path, rows: Sequence[tuple[str, str]]) -> Path:
    """Write (text, intent) pairs as JSONL rows with ids e0, e1, ..."""
    lines = [
        json.dumps(
            {"id": f"e{n}", "text": text, "primary_intent": intent, "acceptable_intents": [intent]}
        )
        for n, (text, intent) in enumerate(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_rpmw(
    *args: str, env: Mapping[str, str] | None = None, timeout_s: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `python -m richpanel_middleware ARGS` with this environment plus `env`."""
    return subprocess.run(
        [sys.executable, "-m", "richpanel_middleware", *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, **(env or {})},
    )
