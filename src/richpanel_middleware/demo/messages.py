"""Demo input: JSONL rows with `text` and optional `id`, `channel`, `language`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from richpanel_middleware.domain.events import Channel

SAMPLE_RESOURCE = "sample_messages.jsonl"
MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class DemoMessage:
    input_id: str | None
    text: str
    channel: str
    language: str | None


class DemoInputError(ValueError):
    """A demo input file is missing or has an invalid row."""


def load_sample_messages() -> list[DemoMessage]:
    text = resources.files("richpanel_middleware.demo").joinpath(SAMPLE_RESOURCE).read_text("utf-8")
    return parse_messages(text.splitlines(), source=f"bundled {SAMPLE_RESOURCE}")


def load_messages(path: Path) -> list[DemoMessage]:
    if path.is_dir():
        raise DemoInputError(f"{path}: is a folder; pass a JSONL file with one message per line")
    try:
        # utf-8-sig accepts a leading byte-order mark, which some editors write.
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError as error:
        raise DemoInputError(
            f"{path}: file not found; pass a JSONL file with one message per line"
        ) from error
    except UnicodeDecodeError as error:
        raise DemoInputError(f"{path}: not UTF-8 text ({error.reason})") from error
    except OSError as error:
        raise DemoInputError(f"{path}: cannot be read ({error.strerror})") from error
    return parse_messages(lines, source=str(path))


def parse_messages(lines: list[str], *, source: str) -> list[DemoMessage]:
    channels = {channel.value for channel in Channel}
    messages: list[DemoMessage] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise DemoInputError(f"{where}: invalid JSON ({error.msg})") from error
        if not isinstance(row, dict):
            raise DemoInputError(f"{where}: each line must be a JSON object")
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DemoInputError(f"{where}: `text` is required and must be a non-empty string")
        if not _encodable(text):
            raise DemoInputError(
                f"{where}: `text` contains an unpaired surrogate escape such as \\ud800; "
                "fix the escape sequence in the file"
            )
        if len(text) > MAX_TEXT_CHARS:
            raise DemoInputError(
                f"{where}: `text` has {len(text)} characters; the limit is {MAX_TEXT_CHARS}"
            )
        channel = row.get("channel") or "email"
        if channel not in channels:
            raise DemoInputError(
                f"{where}: channel {channel!r} is unknown; use one of {', '.join(sorted(channels))}"
            )
        raw_id = row.get("id")
        language = row.get("language")
        messages.append(
            DemoMessage(
                input_id=None if raw_id is None else str(raw_id),
                text=text,
                channel=channel,
                language=language if isinstance(language, str) else None,
            )
        )
    if not messages:
        raise DemoInputError(f"{source}: no messages found")
    return messages


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
