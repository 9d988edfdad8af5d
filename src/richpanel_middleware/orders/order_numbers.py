"""Find the order numbers a customer wrote in a message.

A number counts only when something marks it as an order number:

- a ``#`` directly before it (``#1001``, ``# 1001``, ``Order#1001``), unless the words
  just before the ``#`` name another kind of identifier (``ticket #1001``,
  ``apt #1001``, ``tracking no. #...``). Up to three letters attached directly after
  the ``#`` are kept as a store prefix, so ``#NW1001`` gives ``NW1001``; longer ones are
  hashtags (``#xmas2026``, ``#promo123``);
- an order word before it, in English or Spanish, optionally with a number word and a
  link: ``order 1001``, ``order no. 1001``, ``order number is 1001``, ``order: 1001``,
  ``my order id is 1001``, ``pedido nº1001``, ``pedido número 1001``, ``orden 1001``;
- the Spanish reversed form: ``número de pedido 1001``, ``n.º de pedido: 1001``;
- a list continuing any of these: ``orders 1001 and 1002``, ``pedidos 1001, 1002 y 1003``.

Bare numbers never count, whatever they look like. This leaves out dates, times, phone
numbers, prices, postal codes, quantities, years and numbers after other words
("ticket 1001", "room 1001"). A marked number is still dropped when it has fewer than 3
digits, or more than 12 as tracking numbers do. It is also dropped when the
text after it shows it is something else. That text may be more digits after ``.``,
``,``, ``:``, ``/``, ``-`` or a single space (amounts, times, dates, phone numbers), a
letter glued to it (``1Z999AA1...`` tracking numbers), a currency, or a unit such as
"items" or "days".

The rules favour leaving a number out. A missed number means the customer is asked for it
again. A wrong number cannot disclose another customer's order either, because
`richpanel_middleware.orders.linkage` also requires the order's email or phone to equal
the conversation customer's.

Text is normalised with NFKC first (full-width digits, non-breaking spaces, "º" read as
"o"), then accents, zero-width characters and case are removed.
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = r"(?P<digits>[0-9]{3,12})"

_ORDER_WORD = r"(?:orders?|pedidos?|orden(?:es)?)"
# "nº" and "n.º" read as "no" and "n.o" after NFKC, and "№" reads as "no".
_NUMBER_WORD = r"(?:numbers?|numeros?|num|nro|nr|no|n\.\s?o|n\s?°|id|ref|reference|referencia)\.?"
# Words and signs allowed between the order or number word and the digits.
_LINK = r"(?:\s*(?:(?:is|was|es|fue|era)(?:\s+el)?(?!\w)|[:#=-]))*\s*"

_HASH_NUMBER = re.compile(
    # "&#" starts an HTML character reference such as "&#8217;", not an order number.
    rf"(?<!&)#(?:(?P<prefix>[a-z]{{1,3}})|\s*){_DIGITS}"
)
_ORDER_WORD_NUMBER = re.compile(rf"(?<!\w){_ORDER_WORD}(?:\s*{_NUMBER_WORD})?{_LINK}{_DIGITS}")
_NUMBER_OF_ORDER = re.compile(
    rf"(?<!\w){_NUMBER_WORD}\s*(?:de|del)\s+(?:(?:la|mi|su|tu)\s+)?{_ORDER_WORD}{_LINK}{_DIGITS}"
)
_LIST_WORD = r"(?:and|or|y|o)(?!\w)"
_CONTINUATION = re.compile(rf"\s*(?:,|&|{_LIST_WORD})(?:\s*{_LIST_WORD})?\s*#?\s*{_DIGITS}")

_UNITS = (
    "usd|eur|gbp|cad|aud|mxn|dollars?|euros?|pesos?|bucks|cents?|"
    "items?|pairs?|units?|pieces?|pcs|packs?|box(?:es)?|bottles?|"
    "articulos?|productos?|unidad(?:es)?|piezas?|pares|par|cajas?|"
    "minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|am|pm|"
    "minutos?|horas?|dias?|semanas?|mes(?:es)?|anos?"
)
# Text right after the digits that shows the number is not an order number.
_NOT_AN_ORDER_NUMBER_AFTER = re.compile(
    rf"""
    \w                      # a letter or digit glued on: tracking number, "1001st", "1001usd"
    | [.,:/-][0-9]          # decimals, times, dates, phone number groups
    | \ [0-9]               # digit groups split by one space, as in phone numbers
    | \s*[$€£¥%]            # amounts and percentages
    | \s*(?:{_UNITS})(?!\w) # currencies, quantities and durations
    """,
    re.VERBOSE,
)

# Words that, just before a "#", show the number identifies something other than an order.
_OTHER_IDENTIFIERS = frozenset(
    {
        "ticket",
        "tickets",
        "case",
        "caso",
        "incidencia",
        "room",
        "habitacion",
        "apartment",
        "apartamento",
        "apt",
        "suite",
        "ste",
        "unit",
        "flat",
        "floor",
        "piso",
        "depto",
        "departamento",
        "puerta",
        "building",
        "bldg",
        "box",
        "zip",
        "postal",
        "code",
        "tracking",
        "seguimiento",
        "phone",
        "tel",
        "telephone",
        "telefono",
        "mobile",
        "movil",
        "cell",
        "ext",
        "extension",
        "item",
        "sku",
        "model",
        "modelo",
    }
)
# Number words skipped when looking for the word that names the identifier ("ticket no. #").
_NUMBER_WORDS = frozenset(
    {"number", "numero", "num", "nro", "nr", "no", "n", "o", "id", "de", "del"}
)
_WORD = re.compile(r"[^\W\d_]+")
_LOOKBACK_CHARS = 40


def extract_order_numbers(text: str) -> tuple[str, ...]:
    """Return the order numbers written in `text`, distinct, in order of first appearance.

    Each number is a string of 3 to 12 digits, with an upper-case store prefix when the
    customer wrote one right after "#" (``#nw1001`` gives ``NW1001``). See the module
    docstring for what counts as an order number.
    """
    normalised = _normalise(text)
    found: list[tuple[int, str]] = []

    for match in _HASH_NUMBER.finditer(normalised):
        if _names_other_identifier(normalised, match.start()):
            continue
        found.extend(_accept_with_list(normalised, match, prefix=match.group("prefix") or ""))
    for pattern in (_ORDER_WORD_NUMBER, _NUMBER_OF_ORDER):
        for match in pattern.finditer(normalised):
            found.extend(_accept_with_list(normalised, match, prefix=""))

    numbers: dict[str, None] = {}
    for _, number in sorted(found):
        numbers.setdefault(number, None)
    return tuple(numbers)


def _normalise(text: str) -> str:
    compatible = unicodedata.normalize("NFKC", text)
    decomposed = unicodedata.normalize("NFKD", compatible)
    cleaned = "".join(
        char
        for char in decomposed
        # Combining marks are accents. Format characters (Cf) include zero-width spaces and
        # soft hyphens that would otherwise split a number or a word.
        if not unicodedata.combining(char) and unicodedata.category(char) != "Cf"
    )
    return cleaned.casefold()


def _accept_with_list(text: str, match: re.Match[str], *, prefix: str) -> list[tuple[int, str]]:
    """Accept the matched number if it ends cleanly, then any numbers listed after it."""
    if not _ends_cleanly(text, match.end()):
        return []
    accepted = [(match.start("digits"), prefix.upper() + match.group("digits"))]
    position = match.end()
    while (more := _CONTINUATION.match(text, position)) and _ends_cleanly(text, more.end()):
        accepted.append((more.start("digits"), more.group("digits")))
        position = more.end()
    return accepted


def _ends_cleanly(text: str, end: int) -> bool:
    return _NOT_AN_ORDER_NUMBER_AFTER.match(text, end) is None


def _names_other_identifier(text: str, hash_position: int) -> bool:
    """Check whether the last word before a "#", skipping number words, is in
    `_OTHER_IDENTIFIERS`."""
    window = text[max(0, hash_position - _LOOKBACK_CHARS) : hash_position]
    for word in reversed(_WORD.findall(window)):
        if word not in _NUMBER_WORDS:
            return word in _OTHER_IDENTIFIERS
    return False
