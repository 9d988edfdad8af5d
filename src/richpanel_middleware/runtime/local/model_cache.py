"""Train the local model once per corpus and reuse it from a pickle cache.

The cache key is the corpus fingerprint plus the scikit-learn version, because a pickle
from another scikit-learn release may not load or may predict differently. The cache is
only ever written by this process, from the bundled corpus.
"""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path

import sklearn

from richpanel_middleware.classify.local_model import (
    LocalModel,
    corpus_fingerprint,
    load_training_corpus,
)

_logger = logging.getLogger(__name__)


def load_or_train_model(cache_dir: Path | None) -> LocalModel:
    examples = load_training_corpus()
    key = f"local_model_{corpus_fingerprint(examples)}_sklearn{sklearn.__version__}.pickle"
    path = cache_dir / key if cache_dir is not None else None
    if path is not None and path.exists():
        try:
            with path.open("rb") as handle:
                model = pickle.load(handle)
            if isinstance(model, LocalModel):
                return model
        except (OSError, pickle.UnpicklingError, AttributeError, EOFError):
            _logger.warning(
                "model cache unreadable; retraining", extra={"event": "model_cache_miss"}
            )
    _logger.info(
        "training local model", extra={"event": "model_training", "examples": len(examples)}
    )
    started = time.perf_counter()
    model = LocalModel.train(examples)
    _logger.info(
        "local model trained",
        extra={
            "event": "model_trained",
            "examples": len(examples),
            "duration_ms": round((time.perf_counter() - started) * 1000),
        },
    )
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            pickle.dump(model, handle)
        temporary.replace(path)
    return model
