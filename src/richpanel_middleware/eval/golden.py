"""Golden examples: the `golden_example_v1` schema and a loader for evaluation files.

A golden file row carries every schema field and is validated strictly. Any other JSONL
with `text` and either `primary_intent`, `intent` or `acceptable_intents` (such as a
public data set) is read leniently; rows without a usable label are counted as unlabelled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from richpanel_middleware.domain.events import Channel
from richpanel_middleware.domain.intents import Intent

# `golden_example_v1` fields in file order.
GOLDEN_FIELD_ORDER = (
    "id",
    "text",
    "channel",
    "language",
    "primary_intent",
    "acceptable_intents",
    "secondary_intents",
    "destination_team",
    "max_tier",
    "template_id",
    "deterministic_match_possible",
    "notes",
)
GOLDEN_FIELDS = frozenset(GOLDEN_FIELD_ORDER)
# Share of examples kept out of training and threshold choice, by a stable hash of the id.
HELD_OUT_PERCENT = 25
# Fields only a golden row has; a row with any of them must be a complete, valid golden row.
GOLDEN_ONLY_FIELDS = GOLDEN_FIELDS - {
    "id",
    "text",
    "channel",
    "language",
    "primary_intent",
    "acceptable_intents",
}


class GoldenExample(BaseModel):
    """One `golden_example_v1` row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    channel: Channel
    language: str = Field(min_length=2, max_length=16)
    primary_intent: Intent
    acceptable_intents: list[Intent] = Field(min_length=1)
    secondary_intents: list[Intent] = Field(max_length=2)
    destination_team: str = Field(min_length=1)
    max_tier: Literal[0, 1, 2]
    template_id: str | None
    deterministic_match_possible: bool
    notes: str

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.primary_intent not in self.acceptable_intents:
            raise ValueError("primary_intent must be listed in acceptable_intents")
        if self.primary_intent in self.secondary_intents:
            raise ValueError("primary_intent must not be repeated in secondary_intents")
        return self


@dataclass(frozen=True, slots=True)
class EvalExample:
    """An example as the evaluation uses it, whatever file format it came from."""

    example_id: str
    text: str
    channel: str
    acceptable: tuple[Intent, ...]
    primary: Intent | None
    max_tier: int | None
    held_out: bool
    schema_valid: bool

    @property
    def labelled(self) -> bool:
        return bool(self.acceptable)


class GoldenFileError(ValueError):
    """An evaluation file is missing or has a row that cannot be read at all."""


def is_held_out(example_id: str) -> bool:
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def golden_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise GoldenFileError(f"{path}: folder has no .jsonl files")
        return files
    if not path.exists():
        raise GoldenFileError(f"{path}: not found; pass a .jsonl file or a folder of them")
    return [path]


def load_examples(path: Path) -> list[EvalExample]:
    examples: list[EvalExample] = []
    for file in golden_files(path):
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        examples.extend(_parse(lines, source=file.name))
    if not examples:
        raise GoldenFileError(f"{path}: no examples found")
    return examples


def _parse(lines: Iterable[str], *, source: str) -> list[EvalExample]:
    examples: list[EvalExample] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise GoldenFileError(f"{source}:{number}: invalid JSON ({error.msg})") from error
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise GoldenFileError(f"{source}:{number}: each row needs a `text` string")
        examples.append(_example(row, fallback_id=f"{source}:{number}"))
    return examples


def _example(row: dict[str, object], *, fallback_id: str) -> EvalExample:
    example_id = str(row.get("id") or fallback_id)
    if set(row) & GOLDEN_ONLY_FIELDS:
        try:
            golden = GoldenExample.model_validate(row)
        except ValidationError:
            return EvalExample(
                example_id,
                str(row["text"]),
                str(row.get("channel") or "email"),
                _intents(row),
                _intent(row.get("primary_intent")),
                _tier(row.get("max_tier")),
                is_held_out(example_id),
                False,
            )
        return EvalExample(
            golden.id,
            golden.text,
            golden.channel.value,
            tuple(golden.acceptable_intents),
            golden.primary_intent,
            golden.max_tier,
            is_held_out(golden.id),
            True,
        )
    primary = _intent(row.get("primary_intent")) or _intent(row.get("intent"))
    acceptable = _intents(row) or ((primary,) if primary else ())
    return EvalExample(
        example_id,
        str(row["text"]),
        str(row.get("channel") or "email"),
        acceptable,
        primary,
        _tier(row.get("max_tier")),
        is_held_out(example_id),
        not _has_unknown_label(row),
    )


def _has_unknown_label(row: dict[str, object]) -> bool:
    """True when a label names no known intent (a typo must not silently unlabel a row)."""
    labels = [row.get("primary_intent"), row.get("intent")]
    raw = row.get("acceptable_intents")
    if isinstance(raw, list):
        labels.extend(raw)
    return any(
        isinstance(label, str) and label not in Intent._value2member_map_ for label in labels
    )


def _intent(value: object) -> Intent | None:
    return Intent(value) if isinstance(value, str) and value in Intent._value2member_map_ else None


def _intents(row: dict[str, object]) -> tuple[Intent, ...]:
    raw = row.get("acceptable_intents")
    if not isinstance(raw, list):
        return ()
    return tuple(intent for intent in (_intent(value) for value in raw) if intent is not None)


def _tier(value: object) -> int | None:
    return value if isinstance(value, int) and value in (0, 1, 2) else None
