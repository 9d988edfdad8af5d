"""Replace personal data in customer text before the text leaves the service.

`minimise_personal_data` swaps each kind of personal data for a placeholder, in this
order: e-mail addresses (also written with "(at)" and "(dot)"), bank account numbers
(IBANs), card numbers, postcodes, phone numbers, street addresses and the customer's own
names. Each step runs on the output of the previous one.

Order numbers, tracking codes, dates, times and prices are kept because the classifier
needs them. A phone-like number that the message marks as an order number (``pedido
612345678``, ``#5551234567``) or as a tracking number stays. A digit run glued to letters
is part of a code (``1Z999AA10123456784``) and is never read as a card or a phone number.

The rules favour replacing too much over leaking. Known over-replacements are marked
where they happen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

import phonenumbers

from richpanel_middleware.classify.text import latin_look_alike
from richpanel_middleware.orders.order_numbers import extract_order_numbers

EMAIL_PLACEHOLDER = "[EMAIL]"
PHONE_PLACEHOLDER = "[PHONE]"
CARD_PLACEHOLDER = "[CARD]"
ADDRESS_PLACEHOLDER = "[ADDRESS]"
NAME_PLACEHOLDER = "[NAME]"
POSTCODE_PLACEHOLDER = "[POSTCODE]"
BANK_ACCOUNT_PLACEHOLDER = "[BANK_ACCOUNT]"
PLACEHOLDERS = (
    EMAIL_PLACEHOLDER,
    BANK_ACCOUNT_PLACEHOLDER,
    PHONE_PLACEHOLDER,
    CARD_PLACEHOLDER,
    ADDRESS_PLACEHOLDER,
    NAME_PLACEHOLDER,
    POSTCODE_PLACEHOLDER,
)

_PLACEHOLDER_TEXT = re.compile("|".join(map(re.escape, PLACEHOLDERS)))

Span = tuple[int, int]


def minimise_personal_data(text: str, *, names: Sequence[str] = ()) -> str:
    """Replace e-mail addresses, phone numbers, card numbers, street addresses, postcodes
    and the given customer names in `text` with placeholders such as ``[EMAIL]``.

    `names` come from the customer profile (first name, last name or full name). They are
    matched as whole words, ignoring case and accents. A full name is also matched word
    by word, leaving out one-letter words and particles such as "de" or "van".
    Deterministic and idempotent: minimising the result again returns it unchanged.

    NOTE: some personal data has no pattern here yet: an address without a house number
    ("Rose Cottage, Mill Lane"), street forms other than the US, UK, Spanish, German and
    French ones ("Via Roma 10"), a postcode outside the US and UK forms without a word
    that names it ("10115 Berlin"), national identity and tax numbers, and names other
    than the profile's.
    """
    # Invisible characters (zero-width spaces, soft hyphens, bidi marks) go first: left in,
    # they break a pattern such as an e-mail address that becomes whole once they are gone.
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    # The steps run until the text stops changing, because one replacement can reveal
    # another: libphonenumber's matcher skips a number that has more digits right next
    # to it, and those digits may be replaced first. The loop ends because every change
    # replaces at least one character outside a placeholder, and placeholders are never
    # matched again.
    while True:
        minimised = _minimise_once(text, names)
        if minimised == text:
            return minimised
        text = minimised


def _minimise_once(text: str, names: Sequence[str]) -> str:
    minimised = _replace_spans(text, _email_spans(text), EMAIL_PLACEHOLDER)
    # IBANs go before cards: their digit groups would otherwise be cut into card windows.
    minimised = _replace_spans(minimised, _iban_spans(minimised), BANK_ACCOUNT_PLACEHOLDER)
    minimised = _replace_cards(minimised)
    minimised = _replace_postcodes(minimised)
    minimised = _replace_spans(minimised, _phone_spans(minimised), PHONE_PLACEHOLDER)
    minimised = _replace_spans(minimised, _address_spans(minimised), ADDRESS_PLACEHOLDER)
    return _replace_spans(minimised, _name_spans(minimised, names), NAME_PLACEHOLDER)


def _replace_spans(text: str, spans: Iterable[Span], placeholder: str) -> str:
    """Replace each span with `placeholder`, merging spans that overlap or touch."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])

    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts.append(text[position:start])
        parts.append(placeholder)
        position = end
    parts.append(text[position:])
    return "".join(parts)


# --- E-mail addresses -------------------------------------------------------------------

# The local part takes every character RFC 5322 allows outside quotes. The domain needs at
# least one dot, so a social handle such as "@brand" stays.
# Each pattern starts only where its local part can start, which keeps a search over a
# long run of letters linear.
_EMAIL = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
# Addresses spelled out to dodge scrapers: "ana (at) mail (dot) com", "ana [at] mail.com",
# "ana -at- mail -dot- com", "ana [@] mail [.] com", "ana%40mail.com", and the bare words
# "at"/"arroba" and "dot"/"punto". A bare "at" needs a bare "dot" after it or a domain
# with a common ending, so "meet at noon. Thanks" stays; "look at shop.com" is replaced
# too, which costs the classifier nothing.
_AT_WORD = r"(?:at|arroba|@)"
_DOT_WORD = r"(?:dot|punto|\.)"
_AT = rf"(?:\s*[(\[{{<-]\s*{_AT_WORD}\s*[)\]}}>-]\s*|%40)"
_DOT = rf"(?:\s*[(\[{{<-]\s*{_DOT_WORD}\s*[)\]}}>-]\s*|\.)"
_OBFUSCATED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+"
    r"|(?<![\w.+-])[\w.+-]+\s+(?:at|arroba)\s+[\w-]+(?:\s+(?:dot|punto)\s+[\w-]+)+(?!\w)"
    r"|(?<![\w.+-])[\w.+-]+\s+arroba\s+[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)


# A typo or a dodge around the dot: "ana @ mail . com", "ana@mail. com", "ana@mail,com".
# The address must end in a common top-level domain, so "meet me @ home. Thanks" stays.
# The same holds for a bare "at" before a dotted domain ("dana at example.com").
_COMMON_TLDS = r"com|net|org|edu|gov|info|biz|io|co|us|ca|uk|eu|es|mx|ar|cl|pe|de|fr|it|nl"
_SPACED_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+\s*@\s*[\w-]+(?:\s*\.\s*[\w-]+)*\s*[.,]\s*(?:{_COMMON_TLDS})(?!\w)"
    rf"|(?<![\w.+-])[\w.+-]+\s+at\s+[\w-]+(?:\.[\w-]+)*\.(?:{_COMMON_TLDS})(?![\w.])",
    re.IGNORECASE,
)


def _email_spans(text: str) -> list[Span]:
    """Find e-mail addresses in every written form above.

    The patterns run on a one-to-one fold of the text, so a full-width "＠" or a Cyrillic
    letter in the address does not hide it.
    """
    folded = "".join(map(latin_look_alike, text))
    return [
        match.span()
        for pattern in (_EMAIL, _OBFUSCATED_EMAIL, _SPACED_EMAIL)
        for match in pattern.finditer(folded)
    ]


# --- Bank account numbers ---------------------------------------------------------------

# An IBAN: a country code, two check digits and 11 to 30 letters or digits, written
# compact or in groups of four ("ES91 2100 0418 4502 0005 1332").
_IBAN_CANDIDATE = re.compile(
    r"(?<![^\W_])[A-Z]{2}\d{2}(?:[\s.-]{0,3}[A-Z0-9]{4}){2,7}(?:[\s.-]{0,3}[A-Z0-9]{1,3})?"
    r"(?![^\W_])",
    re.IGNORECASE,
)
_IBAN_MIN_CHARS = 15
_IBAN_MAX_CHARS = 34
# A candidate whose check digits are wrong (a typo) still goes when the text names it.
_IBAN_WORD_BEFORE = re.compile(r"(?<!\w)(?:iban|bank account|cuenta)\W{0,20}$", re.IGNORECASE)


def _iban_spans(text: str) -> list[Span]:
    """Find IBANs: the longest prefix of a candidate whose check digits are right, or the
    whole candidate after a word that names an account.

    A candidate in groups can run into the next word ("ES91 2100 ... 1332 gracias"), so
    prefixes ending at earlier group boundaries are tried too. A prefix must end in a
    group with a digit: one time in 97 a trailing word keeps the check digits right.
    """
    spans: list[Span] = []
    for match in _IBAN_CANDIDATE.finditer(text):
        body = match.start() + 4
        ends = [
            body + group.end()
            for group in re.finditer(r"[A-Z0-9]+", match.group()[4:], re.IGNORECASE)
            if re.search(r"\d", group.group())
        ]
        checked = [
            end
            for end in reversed(ends)
            if _IBAN_MIN_CHARS <= len(_compact(text[match.start() : end])) <= _IBAN_MAX_CHARS
            and _iban_check_digits_valid(_compact(text[match.start() : end]))
        ]
        if checked:
            spans.append((match.start(), checked[0]))
        elif ends and _IBAN_WORD_BEFORE.search(text[: match.start()]):
            spans.append((match.start(), ends[-1]))
    return spans


def _compact(text: str) -> str:
    return re.sub(r"[\s.-]", "", text).upper()


def _iban_check_digits_valid(iban: str) -> bool:
    """Apply the ISO 13616 check: the rearranged number modulo 97 is 1."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(char, 36)) for char in rearranged)
    return int(digits) % 97 == 1


# --- Card numbers -----------------------------------------------------------------------

# Digit groups joined the ways people and mail clients split a card number. That is
# spaces (also many), or up to two line breaks (e-mail wrapping, or a turn of several chat
# messages), or a dash, dot, underscore, comma, slash, pipe or middle dot with spaces
# around it. A group glued to a letter belongs to a code such as a tracking number, and a "+"
# in front starts a phone number.
_SPACE = r"[^\S\r\n]"
_GROUP_SEPARATOR = (
    rf"(?:{_SPACE}*(?:\r?\n{_SPACE}*){{1,2}}"
    rf"|{_SPACE}{{0,6}}[-._,/|·–]{_SPACE}{{0,6}}(?:\r?\n{_SPACE}*)?"
    rf"|{_SPACE}{{1,12}})"
)
_DIGIT_GROUPS = re.compile(rf"(?<![^\W_]|\+)\d+(?:{_GROUP_SEPARATOR}\d+)*(?![^\W_])")
_DIGIT_GROUP = re.compile(r"\d+")
_CARD_MIN_DIGITS = 13
_CARD_MAX_DIGITS = 19


def _replace_cards(text: str) -> str:
    return _DIGIT_GROUPS.sub(_replace_cards_in_groups, text)


def _replace_cards_in_groups(match: re.Match[str]) -> str:
    """Replace card numbers inside one run of digit groups.

    A single group of 13 to 19 digits is always replaced. Several consecutive groups are
    replaced when together they hold 13 to 19 digits that pass the Luhn check. Every such
    window is replaced, so a card written next to a year or a quantity is found whole
    even when the neighbours happen to form another Luhn-valid window with part of it.

    NOTE: a tracking number made of 13 to 19 digits only, such as a 15-digit FedEx
    number, is replaced too.
    """
    run = match.group()
    groups = [(group.start(), group.end()) for group in _DIGIT_GROUP.finditer(run)]
    spans: list[Span] = []
    for first in range(len(groups)):
        digits = ""
        for last in range(first, len(groups)):
            start, end = groups[last]
            digits += run[start:end]
            if len(digits) > _CARD_MAX_DIGITS:
                break
            if len(digits) >= _CARD_MIN_DIGITS and (last == first or _passes_luhn(digits)):
                spans.append((groups[first][0], groups[last][1]))
    return _replace_spans(run, spans, CARD_PLACEHOLDER)


def _passes_luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# --- Postcodes --------------------------------------------------------------------------

# A postcode is replaced only after a word that names it. The code needs a digit and may
# have a second part ("90210-1234", "SW1A 1AA", "K1A 0B1"). Dutch codes keep their letters
# ("1012 AB" gives "[POSTCODE] AB").
_POSTCODE = re.compile(
    r"(?<!\w)(?:zip(?:\s*code)?|postal\s+code|post\s*code|c[oó]digo\s+postal|c\.\s?p\.)"
    r"(?:\s*(?:is|es|:|#|=|-)(?!\w))*\s*"
    r"(?P<code>(?=[a-z-]*\d)[a-z0-9]{2,8}(?:-[a-z0-9]{2,4})?(?:\s(?=[a-z]*\d)[a-z0-9]{2,3})?)"
    r"(?!\w)",
    re.IGNORECASE,
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|"
    "NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
# The end of a US address line, "Springfield, IL 62704" or "Springfield IL 62704": the
# state code stays. Without the comma, "ID" is not read as Idaho, so "order ID 12345"
# keeps its number.
_US_STATE_ZIP = re.compile(rf",\s*(?:{_US_STATES}),?\s+(?P<code>\d{{5}}(?:-\d{{4}})?)(?!\w)")
_US_STATE_ZIP_NO_COMMA = re.compile(
    rf"(?<=[a-z])\s+(?:{_US_STATES.replace('ID|', '')})\s+(?P<code>\d{{5}}(?:-\d{{4}})?)(?!\w)"
)


# A UK postcode on its own, "SW1A 1AA" or "M1 1AE": capitals, with or without the space,
# or lower case with it. The inward letters skip C, I, K, M, O and V, as Royal Mail's do.
_UK_INWARD = r"\d[ABD-HJLNP-UW-Z]{2}"
_UK_POSTCODE = re.compile(
    rf"(?<![^\W_])(?:[A-Z]{{1,2}}\d[A-Z\d]?\s?{_UK_INWARD}"
    rf"|(?i:[a-z]{{1,2}}\d[a-z\d]?\s{_UK_INWARD}))(?![^\W_])"
)
# Storage sizes have the same shape ("X1 2TB"), so these inward letters do not count.
_UK_INWARD_UNITS = frozenset({"TB", "GB", "MB", "KB"})


# Short postcode words take only a code of four or five digits: "CP 28013", "PLZ 10115".
_SHORT_POSTCODE = re.compile(r"(?<!\w)(?:cp|plz)\s*:?\s*(?P<code>\d{4,5})(?!\w)", re.IGNORECASE)


def _replace_postcodes(text: str) -> str:
    spans = [match.span("code") for match in _POSTCODE.finditer(text)]
    spans += [match.span("code") for match in _SHORT_POSTCODE.finditer(text)]
    spans += [match.span("code") for match in _US_STATE_ZIP.finditer(text)]
    spans += [match.span("code") for match in _US_STATE_ZIP_NO_COMMA.finditer(text)]
    spans += [
        match.span()
        for match in _UK_POSTCODE.finditer(text)
        if match.group()[-2:].upper() not in _UK_INWARD_UNITS
    ]
    return _replace_spans(text, spans, POSTCODE_PLACEHOLDER)


# --- Phone numbers ----------------------------------------------------------------------

# National formats are read for these countries. A number from elsewhere is found only
# with its "+" or "00" country code, or in one of the shapes below.
_PHONE_REGIONS = ("US", "ES", "GB", "DE", "FR", "MX")
_PHONE_MIN_DIGITS = 9
_PHONE_MAX_DIGITS = 15
_SEP = r"(?:[^\S\r\n]?[.-]?[^\S\r\n]?)"
# libphonenumber's matcher (checked with phonenumbers 9.0) drops a whole number when a
# stray digit follows it ("+1 555 123 4567 2 units"), so these patterns run as well.
_PHONE_PATTERNS = re.compile(
    rf"""
    (?:\+|00)\d{{1,3}}(?:{_SEP}(?:\(\d{{1,4}}\)|\d{{2,10}}))+   # international
    | (?:\+?1{_SEP})?(?:\(\d{{3}}\)|\d{{3}}){_SEP}\d{{3}}{_SEP}\d{{4}}  # US
    | [6-9]\d{{2}}(?:{_SEP}\d{{3}}){{2}}                      # ES, 612 345 678
    | [6-9]\d{{2}}(?:{_SEP}\d{{2}}){{3}}                      # ES, 612 34 56 78
    | [89]\d{_SEP}\d{{3}}(?:{_SEP}\d{{2}}){{2}}               # ES landline, 91 123 45 67
    """,
    re.VERBOSE,
)
_CURRENCY_BEFORE = re.compile(
    r"(?:[$€£¥]|(?<![^\W\d_])(?:usd|eur|gbp|mxn|cop|ars|clp|pesos?))\s*$", re.IGNORECASE
)
_CURRENCY_AFTER = re.compile(
    r"\s*(?:[$€£¥%]|(?:usd|eur|gbp|mxn|cop|ars|clp|pesos?|euros?|dollars?)(?!\w))",
    re.IGNORECASE,
)
# A tracking word or a carrier's name, then perhaps the first digit groups of a long
# tracking number ("tracking 9400 1118 9922 3100 0123 45").
_TRACKING_BEFORE = re.compile(
    r"(?<!\w)(?:tracking|seguimiento|rastreo|gu[ií]a|awb|ups|usps|fedex|dhl|correos|seur"
    r"|estafeta|gls|dpd|royal\s+mail|canada\s+post)"
    r"(?:\s*(?:number|no\.?|n[º°o]\.?|n[uú]mero|num\.?|code|c[oó]digo|de\s+seguimiento|is|es|:|#))*"
    r"[\s\d-]*$",
    re.IGNORECASE,
)
# A number glued to a letter code by a dash ("INV-2024-000123") is part of that code.
_CODE_BEFORE = re.compile(r"[^\W\d_]-(?:\d+-)*$")
_CONTEXT_CHARS = 40
_PHONE_WORD = re.compile(
    r"(?<!\w)(?:phone|tel[eé]fono|tel|cel(?:ular)?|m[oó]vil|mobile|cell|whats\s?app|sms"
    r"|text\s+me|call\s+me|ll[aá]mame|escr[ií]beme)(?!\w)",
    re.IGNORECASE,
)
_ORDER_WORD = re.compile(r"(?<!\w)(?:order|pedido|orden|compra)(?!\w)", re.IGNORECASE)
_TOKEN_START = re.compile(r"(?<!\w)(?=[+(]?\d)")


def _phone_spans(text: str) -> list[Span]:
    candidates: set[Span] = set()
    for region in _PHONE_REGIONS:
        for found in phonenumbers.PhoneNumberMatcher(
            text, region, leniency=phonenumbers.Leniency.POSSIBLE
        ):
            candidates.add((found.start, found.end))
    # Each token start is tried on its own, so a rejected candidate cannot hide a phone
    # number that overlaps it.
    for token in _TOKEN_START.finditer(text):
        if match := _PHONE_PATTERNS.match(text, token.start()):
            candidates.add(match.span())
    return [span for span in sorted(candidates) if _is_phone_number(text, *span)]


def _is_phone_number(text: str, start: int, end: int) -> bool:
    """Check the guards that tell a phone number from other numbers of the same shape."""
    digits = _ascii_digits(text[start:end])
    if not _PHONE_MIN_DIGITS <= len(digits) <= _PHONE_MAX_DIGITS:
        # Shorter numbers are local numbers, dates with dots ("12.05.2024") or amounts
        # ("1.299.000"), so local seven-digit phone numbers are kept. E.164 numbers have
        # at most 15 digits.
        return False
    before = text[max(0, start - _CONTEXT_CHARS) : start]
    after = text[end : end + _CONTEXT_CHARS]
    if re.search(r"(?:\w|\d[.,-])$", before) or re.match(r"\w", after):
        return False
    if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(after):
        return False
    if _TRACKING_BEFORE.search(before) or _CODE_BEFORE.search(before):
        return False
    if _names_a_phone(before):
        return True
    return not _is_marked_order_number(before, text[start:end], after)


def _names_a_phone(before: str) -> bool:
    """Check whether the words just before a number name it as a phone number.

    "my phone is #3055550187" is a phone number even though "#" also marks order numbers;
    an order word after the phone word ("phone order #...") decides for the order.
    """
    before = _PLACEHOLDER_TEXT.sub(" ", before)  # "[PHONE]" names no number
    named = list(_PHONE_WORD.finditer(before))
    return bool(named) and not _ORDER_WORD.search(before[named[-1].end() :])


def _is_marked_order_number(before: str, candidate: str, after: str) -> bool:
    """Check whether the text around `candidate` marks it as an order number.

    The order-number rules read the context with the candidate's digits swapped for a
    sentinel of the same shape that the context does not contain. A repeat of the same
    number nearby ("pedido 612345678, repito: pedido 612345678") then cannot decide
    the result. Placeholders are blanked first: the order-number rules read "phone"
    before a "#" as naming a phone number, so a ``[PHONE]`` written by an earlier run
    would change the result and break idempotence.
    """
    before = _PLACEHOLDER_TEXT.sub(" ", before)
    after = _PLACEHOLDER_TEXT.sub(" ", after)
    numbers_in_context = _order_digits(before) | _order_digits(after)
    for digit in "0123456789":
        sentinel = re.sub(r"\d", digit, candidate)
        sentinel_digits = _ascii_digits(sentinel)
        if sentinel_digits not in numbers_in_context:
            return sentinel_digits in _order_digits(before + sentinel + after)
    return False


def _order_digits(text: str) -> set[str]:
    return {number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for number in extract_order_numbers(text)}


def _ascii_digits(text: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text))


# --- Street addresses -------------------------------------------------------------------

_STREET_WORDS = (
    r"street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|"
    r"terrace|ter|parkway|pkwy|circle|cir|highway|hwy|loop|square|sq|crescent|grove|"
    r"gardens|gdns|mews|"
    r"calle|avenida|av|carrera|paseo|plaza"
)
_NAME_WORD = r"(?:[^\W\d_][\w'.-]*|\d+(?:st|nd|rd|th))"
# "123 Main Street", "42 W 5th Ave", "742 Evergreen Way".
_NUMBER_FIRST = re.compile(
    rf"(?<!\w)\d{{1,6}}[a-z]?(?:-\d{{1,6}})?\s+"
    rf"(?P<words>(?:{_NAME_WORD}\s+){{1,4}})(?:{_STREET_WORDS})\b\.?",
    re.IGNORECASE,
)
# "Calle Mayor 12", "Avenida de la Constitución, 45", "C/ Luna 3", "Carrera 7 # 32-16".
_STREET_FIRST = re.compile(
    r"(?<!\w)(?:(?:calle|avenida|avda|carrera|paseo|plaza)(?!\w)\.?|av\.|c/)\s*"
    rf"(?P<words>(?:{_NAME_WORD},?\s+){{0,4}})"
    r"(?:n[º°o]\.?\s*)?\d{1,5}[a-z]?(?!\w)"
    r"(?:\s*(?:#|no\.?|n[º°])\s*\d{1,4}[a-z]?(?:-\d{1,4})?(?!\w))?"
    # Floor and door: "Calle Mayor 12, 3º B".
    r"(?:,?\s*\d{1,2}\s*[º°ª](?:\s*[a-z](?!\w))?)?",
    re.IGNORECASE,
)
# The US form of a Spanish street name: "123 Calle Real", "5 Avenida de la Paz". The name
# words must be capitalised, because nothing ends the name.
_NUMBER_THEN_SPANISH_STREET = re.compile(
    r"(?<!\w)\d{1,6}[A-Za-z]?\s+(?:[Cc]alle|[Aa]venida|[Aa]v\.|[Cc]arrera|[Pp]aseo|[Pp]laza)\s+"
    r"(?:(?:de|del|la|las|los|el)\s+)*[A-ZÁÉÍÓÚÜÑ][\w'.-]*(?:\s+[A-ZÁÉÍÓÚÜÑ][\w'.-]*){0,2}"
)
# German forms: "Hauptstraße 5", "Bahnhofstr. 12a", "Berliner Straße 7", "Am Lindenweg 3".
# The street word needs a capitalised name before it, so "Platz 2" (second place) stays;
# only "straße" also counts in lower case. "ring" and "damm" are left out: "Earring 2"
# and "Spring 2026" would read as streets.
_GERMAN_STREET_WORD = r"(?i:stra(?:ß|ss)e|str\.|weg|gasse|platz|allee)"
_GERMAN_STREET = re.compile(
    rf"(?<!\w)(?:[A-ZÄÖÜ][\w'-]*{_GERMAN_STREET_WORD}|[A-ZÄÖÜ][\w'-]*\s{_GERMAN_STREET_WORD}"
    r"|(?i:[^\W\d_][\w'-]*stra(?:ß|ss)e))"
    r"(?:,|\s+[Nn]r\.?)?\s*\d{1,4}(?:\s?[a-z](?!\w))?(?!\w)"
)
# French forms: "12 rue de la Paix", "5 bis avenue Victor Hugo". The name words must be
# capitalised, because nothing ends the name.
_FRENCH_STREET = re.compile(
    r"(?<!\w)\d{1,4}(?:\s?(?:bis|ter))?,?\s+"
    r"(?i:rue|avenue|boulevard|bd|all[ée]e|impasse|chemin|quai|place|route)\s+"
    r"(?:(?i:de|du|des|la|le|l'|d')\s*)*[A-ZÀ-ÖØ-Þ][\w'-]*(?:\s+[A-ZÀ-ÖØ-Þ][\w'-]*){0,3}"
)
_UNIT = re.compile(
    r"(?<!\w)(?:apt|apartment|apto|suite|ste|unit|depto|flat)\.?\s*(?:#|no\.|n[º°])?\s*"
    r"[a-z]?\d{1,5}[a-z]?(?!\w)"
    r"|(?<!\w)p\.?\s?o\.?\s*box\s*\d{1,6}(?!\w)",
    re.IGNORECASE,
)
# Words that do not occur in a street name between a house number and a street word. They
# keep "2 shirts on the way" and "un paseo de 2 horas" from reading as addresses.
# fmt: off
_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "on", "in", "at", "of", "to", "for", "by", "and", "or", "my", "your",
    "his", "her", "its", "our", "their", "this", "that", "is", "was", "are", "were", "be",
    "it", "de", "del", "la", "las", "el", "los", "un", "una", "en", "y", "o", "por", "para",
    "con", "mi", "tu", "su", "al",
})
# fmt: on
# Units after a number that show "Plaza 3" or "paseo 2" is not a house number.
_NOT_A_HOUSE_NUMBER_AFTER = re.compile(
    r"\s*(?:times|veces|items?|days?|d[ií]as|hours?|horas?|minutes?|minutos?|weeks?|"
    r"semanas?|months?|meses|years?|a[nñ]os|[$€£%]|euros?|dollars?|pesos?)(?!\w)",
    re.IGNORECASE,
)


def _address_spans(text: str) -> list[Span]:
    spans = [
        match.span()
        for match in _NUMBER_FIRST.finditer(text)
        if not _contains_function_word(match.group("words"))
    ]
    spans += [
        match.span()
        for match in _STREET_FIRST.finditer(text)
        if not _only_function_words(match.group("words"))
        and not _NOT_A_HOUSE_NUMBER_AFTER.match(text, match.end())
    ]
    spans += [match.span() for match in _NUMBER_THEN_SPANISH_STREET.finditer(text)]
    spans += [match.span() for match in _GERMAN_STREET.finditer(text)]
    spans += [match.span() for match in _FRENCH_STREET.finditer(text)]
    spans += [match.span() for match in _UNIT.finditer(text)]
    return spans


def _street_name_words(words: str) -> list[str]:
    return [word.strip(",.").casefold() for word in words.split()]


def _contains_function_word(words: str) -> bool:
    return any(word in _FUNCTION_WORDS for word in _street_name_words(words))


def _only_function_words(words: str) -> bool:
    name_words = _street_name_words(words)
    return bool(name_words) and all(word in _FUNCTION_WORDS for word in name_words)


# --- Customer names ---------------------------------------------------------------------

# Parts of a full name that are also common words. Matching them alone would replace
# "de" and "la" all over a Spanish message.
# fmt: off
_NAME_PARTICLES = frozenset({
    "de", "del", "la", "las", "los", "y", "e", "da", "das", "do", "dos", "di", "du", "van",
    "von", "der", "den", "le", "el", "al", "bin",
})
# fmt: on
_APOSTROPHES = frozenset("\u2019\u2018\u02bc")
_UMLAUTS_WRITTEN_OUT = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)
_FOLDED_PLACEHOLDERS = frozenset(placeholder.casefold() for placeholder in PLACEHOLDERS)


def _name_spans(text: str, names: Sequence[str]) -> list[Span]:
    """Find the given names in `text` as whole words, ignoring case and accents.

    NOTE: a name that is also a common word ("Will", "May", "Rose") is replaced wherever
    that word appears, because case is ignored.
    """
    terms = _name_terms(names)
    if not terms:
        return []
    folded, origins = _fold_with_origins(text)
    alternatives = "|".join(r"\s+".join(map(re.escape, term.split())) for term in terms)
    # A possessive without its apostrophe ("the Whitfields house") is the name too.
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})s?(?!\w)")

    spans: list[Span] = []
    for match in pattern.finditer(folded):
        around = folded[max(0, match.start() - 1) : match.end() + 1]
        if around in _FOLDED_PLACEHOLDERS:
            continue
        start = origins[match.start()]
        end = origins[match.end() - 1] + 1
        # Combining accents and zero-width characters after the name belong to it.
        while end < len(text) and not _fold_char(text[end]):
            end += 1
        spans.append((start, end))
    return spans


def _name_terms(names: Sequence[str]) -> list[str]:
    """Return the folded full names and their words, longest first."""
    terms: set[str] = set()
    # German umlauts are also written out: "Müller" as "Mueller".
    for spellings in ([*names], [name.translate(_UMLAUTS_WRITTEN_OUT) for name in names]):
        every_word: list[str] = []
        for name in spellings:
            full = " ".join(_fold(name).split())
            words = [w for w in re.split(r"[\s-]+", full) if w not in _NAME_PARTICLES]
            every_word += words
            for term in [full, *words]:
                if len(term) >= 2 and term not in _NAME_PARTICLES:
                    terms.add(term)
        # A handle made of the name's words: "danawhitfield", "dana_whitfield".
        if len(every_word) > 1:
            terms.update(glue.join(every_word) for glue in ("", "_", "."))
    return sorted(terms, key=lambda term: (-len(term), term))


def _fold_char(char: str) -> str:
    """Fold one character for matching: case, accents and format characters removed."""
    if unicodedata.category(char) == "Cf":
        return ""
    if char in _APOSTROPHES:
        return "'"
    char = latin_look_alike(char)
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    return "".join(part for part in decomposed if not unicodedata.combining(part))


def _fold(text: str) -> str:
    return "".join(map(_fold_char, text))


def _fold_with_origins(text: str) -> tuple[str, list[int]]:
    """Fold `text` and return, for each folded character, its index in `text`."""
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for part in _fold_char(char):
            folded.append(part)
            origins.append(index)
    return "".join(folded), origins
