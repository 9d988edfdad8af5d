"""Demo input: JSONL rows with `text` and optional `id`, `channel`, `language`, plus the
optional order fields `customer`, `orders`, `linked_order` and `now`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from richpanel_middleware.domain.events import Channel
from richpanel_middleware.orders.model import normalize_order_number
from richpanel_middleware.sandbox.seed_orders import SeedOrder

SAMPLE_RESOURCE = "sample_messages.jsonl"
MAX_TEXT_CHARS = 20_000
CUSTOMER_FIELDS = ("email", "phone", "first_name")
MAX_ORDERS_PER_ROW = 20


@dataclass(frozen=True, slots=True)
class DemoMessage:
    input_id: str | None
    text: str
    channel: str
    language: str | None
    customer: dict[str, str] = field(default_factory=dict)
    orders: tuple[SeedOrder, ...] = ()
    linked_order: str | None = None
    now: datetime | None = None


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
        orders = _orders(row.get("orders"), where)
        messages.append(
            DemoMessage(
                input_id=None if raw_id is None else str(raw_id),
                text=text,
                channel=channel,
                language=language if isinstance(language, str) else None,
                customer=_customer(row.get("customer"), where),
                orders=orders,
                linked_order=_linked_order(row.get("linked_order"), orders, where),
                now=_now(row.get("now"), where),
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


def _customer(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DemoInputError(f"{where}: `customer` must be an object with email, phone, first_name")
    unknown = sorted(set(value) - set(CUSTOMER_FIELDS))
    if unknown:
        raise DemoInputError(
            f"{where}: `customer.{unknown[0]}` is not a known field; use {', '.join(CUSTOMER_FIELDS)}"
        )
    customer: dict[str, str] = {}
    for name in CUSTOMER_FIELDS:
        field_value = value.get(name)
        if field_value is None:
            continue
        if not isinstance(field_value, str):
            raise DemoInputError(f"{where}: `customer.{name}` must be a string")
        customer[name] = field_value
    return customer


def _orders(value: object, where: str) -> tuple[SeedOrder, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise DemoInputError(f"{where}: `orders` must be a list of order objects")
    if len(value) > MAX_ORDERS_PER_ROW:
        raise DemoInputError(
            f"{where}: `orders` has {len(value)} entries; the limit is {MAX_ORDERS_PER_ROW}"
        )
    orders: list[SeedOrder] = []
    for index, raw in enumerate(value):
        try:
            orders.append(SeedOrder.model_validate(raw))
        except ValidationError as error:
            first = error.errors()[0]
            location = ".".join(str(part) for part in first["loc"])
            raise DemoInputError(
                f"{where}: `orders[{index}]{'.' + location if location else ''}`: {first['msg']}"
            ) from error
    numbers = [normalize_order_number(order.number) for order in orders]
    if len(set(numbers)) != len(numbers):
        raise DemoInputError(f"{where}: `orders` lists the same order number twice")
    return tuple(orders)


def _linked_order(value: object, orders: tuple[SeedOrder, ...], where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise DemoInputError(f"{where}: `linked_order` must be an order number or null")
    wanted = normalize_order_number(str(value))
    for order in orders:
        if normalize_order_number(order.number) == wanted:
            return order.number
    raise DemoInputError(
        f"{where}: `linked_order` {value!r} is not one of the row's `orders`; add the order "
        "or set linked_order to null"
    )


def _now(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise DemoInputError(
            f"{where}: `now` must be an ISO 8601 time such as 2026-12-02T15:00:00Z"
        )
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise DemoInputError(
            f"{where}: `now` {value!r} is not an ISO 8601 time such as 2026-12-02T15:00:00Z"
        ) from error
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
