"""The local statistical classifier: TF-IDF features and calibrated logistic regression.

Training takes a few seconds on the bundled corpus, so the model is trained once per
process (or loaded from a cache by the runtime). Word n-grams carry topic words; character
n-grams inside word boundaries absorb typos and Spanish inflection.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from richpanel_middleware.classify.language import detect_language
from richpanel_middleware.classify.result import Classification
from richpanel_middleware.classify.text import fold, strip_quoted_history
from richpanel_middleware.classify.tier0_rules import match_tier0
from richpanel_middleware.domain.decision import (
    DECISION_SCHEMA_VERSION,
    INTENT_RISK_FLAGS,
    Automation,
    Decision,
    ReplyAction,
    Risk,
    Routing,
    TierName,
)
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent, Tier, spec_of

CORPUS_RESOURCE = "training_v1.jsonl"
MODEL_FAMILY = "local_tfidf_logreg_v1"
MODEL_MAX_CHARS = 4000


@dataclass(frozen=True, slots=True)
class TrainingExample:
    text: str
    intent: Intent
    language: str


def load_training_corpus(name: str = CORPUS_RESOURCE) -> list[TrainingExample]:
    """Read the bundled training corpus. Raises ValueError naming the line of a bad row."""
    text = resources.files("richpanel_middleware.classify.corpus").joinpath(name).read_text("utf-8")
    return parse_training_rows(text.splitlines(), source=name)


def parse_training_rows(lines: Iterable[str], *, source: str) -> list[TrainingExample]:
    examples: list[TrainingExample] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(
                TrainingExample(row["text"], Intent(row["intent"]), row.get("language", "en"))
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{source}:{number}: invalid training row ({error})") from error
    return examples


def corpus_fingerprint(examples: Sequence[TrainingExample]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(f"{example.intent.value}\t{example.text}\n".encode())
    return digest.hexdigest()[:16]


def _prepare(text: str) -> str:
    return fold(strip_quoted_history(text))


class LocalModel:
    """A trained intent model. `predict_scores` returns calibrated probabilities per intent."""

    def __init__(self, pipeline: Pipeline, fingerprint: str) -> None:
        self._pipeline = pipeline
        self._classes = [Intent(label) for label in pipeline.classes_]
        self.version = f"{MODEL_FAMILY}:{fingerprint}"

    @classmethod
    def train(cls, examples: Sequence[TrainingExample], *, seed: int = 7) -> LocalModel:
        if len({example.intent for example in examples}) < 2:
            raise ValueError("training needs examples of at least two intents")
        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
                    ),
                ),
            ]
        )
        classifier = CalibratedClassifierCV(
            LogisticRegression(C=20.0, max_iter=2000, random_state=seed),
            method="sigmoid",
            cv=4,
        )
        pipeline = Pipeline([("features", features), ("classifier", classifier)])
        pipeline.fit(
            [_prepare(example.text) for example in examples],
            [example.intent.value for example in examples],
        )
        return cls(pipeline, corpus_fingerprint(examples))

    def predict_scores(self, text: str) -> dict[Intent, float]:
        probabilities = self._pipeline.predict_proba([_prepare(text)])[0]
        return {intent: float(p) for intent, p in zip(self._classes, probabilities, strict=True)}

    def predict_many(self, texts: Sequence[str]) -> list[dict[Intent, float]]:
        matrix = self._pipeline.predict_proba([_prepare(text) for text in texts])
        return [
            {intent: float(p) for intent, p in zip(self._classes, row, strict=True)}
            for row in np.asarray(matrix)
        ]


class LocalClassifier:
    """Tier 0 rules plus the local model, producing an `mw_decision_v1` proposal."""

    def __init__(self, model: LocalModel, *, secondary_min: float = 0.25) -> None:
        self.model = model
        self.secondary_min = secondary_min
        self.version = model.version

    def classify(
        self,
        text: str,
        *,
        channel: str | None = None,
        language_hint: str | None = None,
        customer_names: Sequence[str] = (),
    ) -> Classification:
        started = time.perf_counter()
        hits = match_tier0(text)
        # The rules read everything; the model reads the newest part of a long turn.
        scores = self.model.predict_scores(text[-MODEL_MAX_CHARS:])
        decision = decision_from_scores(
            scores,
            rule_intents=[hit.intent for hit in hits],
            language=detect_language(strip_quoted_history(text), hint=language_hint),
            secondary_min=self.secondary_min,
        )
        return Classification(
            decision=decision,
            tier0_hits=hits,
            classifier_version=self.version,
            scores=scores,
            latency_ms=(time.perf_counter() - started) * 1000,
        )


def decision_from_scores(
    scores: dict[Intent, float],
    *,
    rule_intents: Sequence[Intent],
    language: str,
    secondary_min: float,
) -> Decision:
    """Build the schema-valid proposal a statistical model would return for these scores.

    The proposal is only a suggestion: policy recomputes primary intent, team and tier.
    """
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    top_intent, top_score = ranked[0]
    secondary = [intent for intent, score in ranked[1:3] if score >= secondary_min]
    # The model raises a risk flag when a Tier 0 intent is its top prediction; the flag then
    # escalates whatever its confidence. Weaker Tier 0 evidence is left to the rules, which
    # catch indirect phrasings the model has never seen.
    tier0_present = [i for i in rule_intents if i in TIER0_INTENTS]
    if top_intent in TIER0_INTENTS:
        tier0_present.append(top_intent)
    flags = list(dict.fromkeys(INTENT_RISK_FLAGS[intent] for intent in tier0_present))[:3]
    tier = Tier.ESCALATION if flags else min(spec_of(top_intent).max_tier, Tier.SAFE_ASSIST)
    return Decision(
        schema_version=DECISION_SCHEMA_VERSION,
        language=language,
        primary_intent=tier0_present[0] if tier0_present else top_intent,
        secondary_intents=secondary,
        routing=Routing(
            destination_team=spec_of(top_intent).default_team,
            confidence=round(top_score, 6),
            needs_manual_triage=False,
            tags=[],
        ),
        automation=Automation(
            tier=TierName.of(tier),
            action=ReplyAction.ROUTE_ONLY,
            template_id=None,
            confidence=round(top_score, 6),
            requires_deterministic_match=False,
        ),
        risk=Risk(flags=flags, force_human=bool(flags)),
        clarifying_questions=[],
        notes_for_agent="",
    )
