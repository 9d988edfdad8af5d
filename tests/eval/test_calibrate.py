"""rpmw calibrate writes thresholds the service loads, and they change decisions."""

from __future__ import annotations

import shutil
from pathlib import Path

from richpanel_middleware.classify.local_model import LocalClassifier
from richpanel_middleware.configuration import default_config_dir, load_app_config
from richpanel_middleware.domain.intents import Intent
from richpanel_middleware.eval.calibration import lowest_threshold
from richpanel_middleware.eval.golden import load_examples
from richpanel_middleware.eval.runner import predict
from tests.eval.helpers import run_rpmw
from tests.eval.test_gates_and_metrics import _example, _prediction

GOLDEN = Path(__file__).resolve().parents[2] / "eval" / "golden"


def test_lowest_threshold_reaches_target() -> None:
    good = [
        _prediction(_example(f"g{n}", Intent.CANCEL_ORDER), Intent.CANCEL_ORDER, confidence=0.8)
        for n in range(10)
    ]
    bad = [
        _prediction(_example(f"b{n}", Intent.CANCEL_ORDER), Intent.REFUND_REQUEST, confidence=0.4)
        for n in range(5)
    ]
    proposal = lowest_threshold([*good, *bad], target_precision=0.95, min_support=5)
    assert proposal is not None
    assert proposal.threshold is not None
    assert 0.4 < proposal.threshold <= 0.8
    assert proposal.precision == 1.0


def test_calibrated_thresholds_load_and_change_decisions(
    tmp_path: Path, local_classifier: LocalClassifier, model_cache_dir: Path
) -> None:
    proposed = tmp_path / "thresholds.yaml"
    completed = run_rpmw(
        "calibrate",
        "--golden",
        str(GOLDEN),
        "--out",
        str(proposed),
        env={"RPMW_MODEL_CACHE_DIR": str(model_cache_dir)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]

    config_dir = tmp_path / "config"
    shutil.copytree(default_config_dir(), config_dir)
    shutil.copy(proposed, config_dir / "thresholds.yaml")
    calibrated = load_app_config(config_dir)
    default = load_app_config()
    assert calibrated.policy.thresholds != default.policy.thresholds

    examples = [e for e in load_examples(GOLDEN) if e.held_out]
    before = predict(examples, local_classifier, default.policy, default.default_flags)
    after = predict(examples, local_classifier, calibrated.policy, calibrated.default_flags)
    changed = sum(1 for a, b in zip(before, after, strict=True) if a.replied != b.replied)
    assert changed > 0
