"""Tier 0 rules against the training corpus and two held-out sets the model never trained on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from richpanel_middleware.classify.local_model import load_training_corpus
from richpanel_middleware.classify.tier0_rules import match_tier0, normalise_for_rules
from richpanel_middleware.domain.intents import TIER0_INTENTS, Intent

DATA = Path(__file__).resolve().parents[1] / "data"


def _rows(name: str) -> list[dict[str, str]]:
    return [
        json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line
    ]


def _hit_intents(text: str) -> set[Intent]:
    return {hit.intent for hit in match_tier0(text)}


def test_rules_catch_every_corpus_tier0_example() -> None:
    missed = [
        ex.text
        for ex in load_training_corpus()
        if ex.intent in TIER0_INTENTS and ex.intent not in _hit_intents(ex.text)
    ]
    assert missed == []


def test_rules_ignore_corpus_non_tier0_examples() -> None:
    flagged = [
        ex.text
        for ex in load_training_corpus()
        if ex.intent not in TIER0_INTENTS and _hit_intents(ex.text)
    ]
    assert flagged == []


def test_rules_catch_held_out_indirect_phrasings() -> None:
    rows = _rows("tier0_indirect.jsonl")
    assert len(rows) >= 80
    missed = [row["text"] for row in rows if Intent(row["intent"]) not in _hit_intents(row["text"])]
    assert missed == []


def test_held_out_set_includes_spanish() -> None:
    assert sum(1 for row in _rows("tier0_indirect.jsonl") if row["language"] == "es") >= 20


def test_rules_ignore_false_friends() -> None:
    flagged = [
        row["text"] for row in _rows("tier0_false_friends.jsonl") if match_tier0(row["text"])
    ]
    assert flagged == []


def test_held_out_sets_not_in_training_corpus() -> None:
    training = {ex.text.strip().lower() for ex in load_training_corpus()}
    overlap = [
        row["text"]
        for name in ("tier0_indirect.jsonl", "tier0_false_friends.jsonl")
        for row in _rows(name)
        if row["text"].strip().lower() in training
    ]
    assert overlap == []


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("my card issuer is pulling the money back", Intent.CHARGEBACK_DISPUTE),
        ("you will hear from my solicitor", Intent.LEGAL_THREAT),
        ("Voy a reclamar el cargo con mi banco", Intent.CHARGEBACK_DISPUTE),
        ("Mi abogado se pondrá en contacto con ustedes", Intent.LEGAL_THREAT),
        ("Sé dónde viven", Intent.HARASSMENT_THREATS),
        ("alguien usó mi tarjeta en su tienda", Intent.FRAUD_SUSPECTED),
    ],
)
def test_rules_catch_named_phrasings(text: str, intent: Intent) -> None:
    assert intent in _hit_intents(text)


def test_negation_cancels_hit() -> None:
    assert match_tier0("I don't want to dispute the charge with my bank, just fix it") == ()


def test_shorthand_is_expanded() -> None:
    assert normalise_for_rules("ur acct") == "your account"


@pytest.mark.parametrize(
    "text",
    [
        "if it isn't here by Friday I'm calling my bank",
        "I already filed an Item Not Received case on PayPal",
        "The charge was flagged as unrecognized by my bank",
        "I will get Visa involved",
        "the charge is under review by my bank",
        "CB filed last night",
        "I started a charge.back",
    ],
)
def test_bank_dispute_phrasings_are_chargebacks(text: str) -> None:
    assert [hit.intent for hit in match_tier0(text)] == [Intent.CHARGEBACK_DISPUTE]


@pytest.mark.parametrize(
    "text",
    [
        "I will call my bank to check the payment",
        "I called my bank and they said the payment went through",
        "my order was flagged for review, can you check?",
    ],
)
def test_bank_checks_are_not_chargebacks(text: str) -> None:
    assert match_tier0(text) == ()
