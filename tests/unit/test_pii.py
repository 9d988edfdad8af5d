"""Personal data minimisation: each kind is replaced, order numbers and other facts stay."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from richpanel_middleware.classify.pii import minimise_personal_data
from richpanel_middleware.orders.order_numbers import extract_order_numbers

REPLACED = [
    # E-mail addresses.
    ("Email me at john.doe+shop@example.co.uk today", "Email me at [EMAIL] today"),
    ("Contact: JANE_99@Mail.COM.", "Contact: [EMAIL]."),
    ("(my email: a.b@sub.domain.io)", "(my email: [EMAIL])"),
    ("Escríbeme a maría.pérez@correo.es, gracias", "Escríbeme a [EMAIL], gracias"),
    ("mi correo es <pedro@tienda.com.mx>", "mi correo es <[EMAIL]>"),
    # Phone numbers, US and international.
    ("call me at (555) 123-4567 please", "call me at [PHONE] please"),
    ("my number is 555.123.4567", "my number is [PHONE]"),
    ("text 555 123 4567 after 5", "text [PHONE] after 5"),
    ("phone: 5551234567", "phone: [PHONE]"),
    ("reach me on +1 555 123 4567 2 days a week", "reach me on [PHONE] 2 days a week"),
    ("1-800-555-0199 is my work line", "[PHONE] is my work line"),
    ("UK: +44 20 7946 0958", "UK: [PHONE]"),
    ("Berlin +49 (0)30 1234567", "Berlin [PHONE]"),
    ("France +33 6 12 34 56 78", "France [PHONE]"),
    ("call 07700 900123", "call [PHONE]"),
    ("mobile 07700900123", "mobile [PHONE]"),
    ("Handy 0151 23456789", "Handy [PHONE]"),
    ("portable 06 12 34 56 78", "portable [PHONE]"),
    ("cel 55 1234 5678", "cel [PHONE]"),
    ("my phone is #3055550187", "my phone is #[PHONE]"),
    ("mi teléfono es el #612345678", "mi teléfono es el #[PHONE]"),
    ("text me at # 3055550187", "text me at # [PHONE]"),
    ("call 555-123-4567x12", "call [PHONE]"),
    # Phone numbers, Spanish formats.
    ("mi móvil es 612 345 678", "mi móvil es [PHONE]"),
    ("llámame al 612 34 56 78", "llámame al [PHONE]"),
    ("teléfono +34 612 345 678", "teléfono [PHONE]"),
    ("tel.612345678", "tel.[PHONE]"),
    ("0034 612345678", "[PHONE]"),
    ("fijo: 91 123 45 67", "fijo: [PHONE]"),
    ("(+34) 612-345-678", "[PHONE]"),
    # Card numbers.
    ("card 4111 1111 1111 1111 exp 12/26", "card [CARD] exp 12/26"),
    ("tarjeta 4111-1111-1111-1111", "tarjeta [CARD]"),
    ("número de tarjeta: 4111111111111111", "número de tarjeta: [CARD]"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("paid 2024 4111 1111 1111 1111 twice", "paid 2024 [CARD] twice"),
    ("ref 1234567890123 please", "ref [CARD] please"),
    ("code 1234567890123456789", "code [CARD]"),
    ("card 4111  1111  1111  1111", "card [CARD]"),
    ("card 4111 1111\n1111 1111 exp 12/26", "card [CARD] exp 12/26"),
    ("4111.1111.1111.1111", "[CARD]"),
    ("4111_1111_1111_1111", "[CARD]"),
    ("card 4539 1488\n\n0343 6467 exp 09/28", "card [CARD] exp 09/28"),
    ("my card is 4539, 1488, 0343, 6467", "my card is [CARD]"),
    ("4539 - 1488 - 0343 - 6467", "[CARD]"),
    ("4539|1488|0343|6467", "[CARD]"),
    ("IBAN ES91  2100  0418  4502  0005  1332", "IBAN [BANK_ACCOUNT]"),
    ("ES91.2100.0418.4502.0005.1332", "[BANK_ACCOUNT]"),
    # Street addresses, English order.
    ("I live at 123 Main Street", "I live at [ADDRESS]"),
    ("ship to 742 Evergreen Way", "ship to [ADDRESS]"),
    ("1600 Pennsylvania Ave NW", "[ADDRESS] NW"),
    ("42 W 5th St. please", "[ADDRESS] please"),
    ("send it to 9 Oak Rd, Apt 4B", "send it to [ADDRESS], [ADDRESS]"),
    ("Suite 200, 10 Market Blvd", "[ADDRESS], [ADDRESS]"),
    ("Unit 5, 3 King Ct", "[ADDRESS], [ADDRESS]"),
    ("PO Box 1234", "[ADDRESS]"),
    ("14 Elm Grove", "[ADDRESS]"),
    ("Flat 3, Baker House", "[ADDRESS], Baker House"),
    ("Hauptstraße Nr. 5", "[ADDRESS]"),
    ("45 Elm Terrace", "[ADDRESS]"),
    ("1200 Oak Pkwy, Austin", "[ADDRESS], Austin"),
    ("5000 Pacific Coast Highway", "[ADDRESS]"),
    ("vivo en 123 Calle Real", "vivo en [ADDRESS]"),
    ("5 Avenida de la Paz, Austin", "[ADDRESS], Austin"),
    # Street addresses, Spanish order.
    ("Calle Mayor 12, 3º B", "[ADDRESS]"),
    ("envíalo a Avenida de la Constitución, 45", "envíalo a [ADDRESS]"),
    ("C/ Luna 3", "[ADDRESS]"),
    ("C/Sol 15, 2ª", "[ADDRESS]"),
    ("Carrera 7 # 32-16, Bogotá", "[ADDRESS], Bogotá"),
    ("Av. Reforma 222", "[ADDRESS]"),
    ("Paseo de la Castellana 100", "[ADDRESS]"),
    ("Plaza Mayor 3", "[ADDRESS]"),
    ("calle 72 # 10-34 apto 501", "[ADDRESS] [ADDRESS]"),
    # Postcodes.
    ("my zip is 90210", "my zip is [POSTCODE]"),
    ("zip code: 90210-1234", "zip code: [POSTCODE]"),
    ("postal code SW1A 1AA", "postal code [POSTCODE]"),
    ("Postcode K1A 0B1", "Postcode [POSTCODE]"),
    ("Springfield, IL 62704", "Springfield, IL [POSTCODE]"),
    ("Springfield IL 62704", "Springfield IL [POSTCODE]"),
    ("código postal 28013", "código postal [POSTCODE]"),
    ("codigo postal: 08001", "codigo postal: [POSTCODE]"),
    ("C.P. 28013 Madrid", "C.P. [POSTCODE] Madrid"),
    ("ship to SW1A 1AA", "ship to [POSTCODE]"),
    ("Leeds LS1 4AP", "Leeds [POSTCODE]"),
    ("B338TH", "[POSTCODE]"),
    ("flat 2, m1 1ae", "[ADDRESS], [POSTCODE]"),
    ("CP 28013", "CP [POSTCODE]"),
    # E-mail addresses written out.
    ("ana (at) mail (dot) com", "[EMAIL]"),
    ("write to ana[at]mail.es", "write to [EMAIL]"),
    ("ana.p at correo dot es please", "[EMAIL] please"),
    ("dana @ example . com", "[EMAIL]"),
    ("dana arroba example punto com", "[EMAIL]"),
    ("dana at example.com", "[EMAIL]"),
    ("dana -at- example -dot- com", "[EMAIL]"),
    ("dana <at> example <dot> com", "[EMAIL]"),
    ("dana [@] example [.] com", "[EMAIL]"),
    ("dana%40example.com", "[EMAIL]"),
    ("mail dana\uff20example.com", "mail [EMAIL]"),
    ("dana@example,com", "[EMAIL]"),
    ("dana@example. com thanks", "[EMAIL] thanks"),
    # Bank account numbers (IBAN), grouped or compact, with or without a naming word.
    ("IBAN: ES91 2100 0418 4502 0005 1332 gracias", "IBAN: [BANK_ACCOUNT] gracias"),
    ("refund to GB29NWBK60161331926819 please", "refund to [BANK_ACCOUNT] please"),
    ("DE89 3704 0044 0532 0130 00, thanks", "[BANK_ACCOUNT], thanks"),
    ("FR14 2004 1010 0505 0001 3M02 606", "[BANK_ACCOUNT]"),
    ("my iban ES91 2100 0418 4502 0005 1333 gracias", "my iban [BANK_ACCOUNT] gracias"),
    # Street addresses, German and French order.
    ("Hauptstraße 5, Berlin", "[ADDRESS], Berlin"),
    ("Bahnhofstr. 12a bitte", "[ADDRESS] bitte"),
    ("Berliner Straße 7", "[ADDRESS]"),
    ("wohne am Lindenweg 3", "wohne am [ADDRESS]"),
    ("i live on schillerstrasse 12b", "i live on [ADDRESS]"),
    ("12 rue de la Paix, Paris", "[ADDRESS], Paris"),
    ("5 bis avenue Victor Hugo", "[ADDRESS]"),
]

KEPT = [
    # Order numbers in every form the order-number rules accept.
    "order #1001",
    "order 1001",
    "order no. 1001",
    "Order Number: 1001",
    "pedido 1001",
    "mi pedido es el 1001",
    "número de pedido 1001",
    "#NW1001",
    "orders 1001 and 1002",
    "pedido 612345678",
    "order 5551234567",
    "#5551234567",
    "my order ID 12345",
    # Tracking numbers.
    "tracking 1Z999AA10123456784",
    "UPS 1Z999AA10123456784 says delivered",
    "tracking number 1234567890",
    "número de seguimiento: 612345678",
    "USPS 9400111899223197428490",
    "LX123456789CN",
    "tracking number 9400 1118 9922 3100 0123 45",
    "FedEx 748912345678",
    "DHL 1234567890",
    "invoice INV-2024-000123",
    # Dates and times.
    "on 12/05/2024 at 10:30",
    "2024-05-12 10:30:00",
    "12.05.2024",
    "May 12, 2024",
    "el 12 de mayo de 2024",
    # Prices and amounts.
    "I paid $49.99",
    "1.299,99 €",
    "USD 1,234,567.00",
    "COP 1.234.567.890",
    "1.299.000",
    "USD 1234567",
    "12.345.678 pesos",
    # Numbers and words that only look like other kinds.
    "2 shirts on the way",
    "3 weeks on the road",
    "un paseo de 2 horas",
    "visited the plaza 3 times",
    "555 1234",
    "I ordered 3 items and 2 Court shoes",
    "ticket 4567",
    "follow us @brand",
    "size 10.5, colour navy",
    "my X1 2TB drive",
    "Platz 2 in the queue",
    "Earring 2 pairs",
    "Spring 2026 collection",
    "2 place settings",
    "3 route options",
    "email me @ home, thanks",
    "meet me @ home. Thanks",
    "meet at noon. Thanks",
    "arrived at 5 pm",
    "Order ID 12345",
    "phone order #3055550187",
    "orders #1001, #1002, #1003, #1004",
    "cp 12 items",
    "arriving at noon",
    "order #ES1234",
    "SKU AB12CD34",
]


@pytest.mark.parametrize(("text", "expected"), REPLACED)
def test_kind_replaced(text: str, expected: str) -> None:
    assert minimise_personal_data(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_text_kept(text: str) -> None:
    assert minimise_personal_data(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Order #1001: call me on 612 345 678 or mail me at ana@example.com",
        "pedido 1001, tarjeta 4111 1111 1111 1111, C/ Luna 3, código postal 28013",
        "Where is #NW1001? I live at 123 Main Street, Springfield, IL 62704",
        "order 1001 and order 1002 for (555) 123-4567",
        "mi pedido es el 4321 y mi móvil +34 612 345 678",
    ],
)
def test_order_numbers_survive_with_pii(text: str) -> None:
    minimised = minimise_personal_data(text)

    assert extract_order_numbers(minimised) == extract_order_numbers(text)
    assert extract_order_numbers(minimised)


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("Hi, this is Maria", ["María"], "Hi, this is [NAME]"),
        ("Soy MARÍA y mi hermana es maria", ["Maria"], "Soy [NAME] y mi hermana es [NAME]"),
        ("Firmado: José Pérez", ["José Pérez"], "Firmado: [NAME]"),
        ("Pérez here, jose too", ["José Pérez"], "[NAME] here, [NAME] too"),
        ("María José called", ["maria-jose"], "[NAME] [NAME] called"),
        ("Mari\u0301a here", ["maría"], "[NAME] here"),
        ("Marí\u200ba here", ["María"], "[NAME] here"),
        ("Thanks, O’Brien", ["O'Brien"], "Thanks, [NAME]"),
        ("Ana de la Cruz, de Madrid", ["Ana de la Cruz"], "[NAME], de Madrid"),
        ("la casa de Cruz", ["Ana de la Cruz"], "la casa de [NAME]"),
        ("the Whitfields house", ["Whitfield"], "the [NAME] house"),
        ("user dana_whitfield here", ["Dana", "Whitfield"], "user [NAME] here"),
        ("Herr Mueller", ["Müller"], "Herr [NAME]"),
        ("Hi, Dan\u0430 here", ["Dana"], "Hi, [NAME] here"),
    ],
)
def test_profile_names_replaced(text: str, names: list[str], expected: str) -> None:
    assert minimise_personal_data(text, names=names) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Mariano wrote this", ["Maria"]),
        ("Anabel is my sister", ["Ana"]),
        ("no name given", []),
        ("blank names are skipped", ["", "   "]),
        ("one-letter parts like J are skipped", ["J. Smith"]),
    ],
)
def test_profile_names_whole_words_only(text: str, names: list[str]) -> None:
    assert minimise_personal_data(text, names=names) == text


def test_name_matching_placeholder_kept() -> None:
    text = "mail [EMAIL] and [CARD], Name"

    minimised = minimise_personal_data(text, names=["Name", "Email", "Card"])

    assert minimised == "mail [EMAIL] and [CARD], [NAME]"


def test_email_and_address_win_over_name() -> None:
    text = "maria.lopez@example.com, 12 Maria Street, Maria"

    minimised = minimise_personal_data(text, names=["María López"])

    assert minimised == "[EMAIL], [ADDRESS], [NAME]"


@pytest.mark.parametrize("text", [text for text, _ in REPLACED] + KEPT)
def test_minimise_idempotent(text: str) -> None:
    once = minimise_personal_data(text, names=["María", "Smith"])

    assert minimise_personal_data(once, names=["María", "Smith"]) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # German numbering reads all thirteen digits as one phone number, before the box.
        ("PO Box 1234 1001 00000", "PO Box [PHONE]"),
        # "[PHONE] #..." must not read as "phone #..." on a second run.
        ("0034 612345678 #5551234567", "[PHONE] #5551234567"),
        # A repeated order number stays marked the second time.
        (
            "pedido 612345678, UK: +44 20 7946 0958 pedido 612345678",
            "pedido 612345678, UK: [PHONE] pedido 612345678",
        ),
    ],
)
def test_minimise_idempotent_edge_cases(text: str, expected: str) -> None:
    once = minimise_personal_data(text)

    assert once == expected
    assert minimise_personal_data(once) == once


_FRAGMENTS = [text for text, _ in REPLACED] + KEPT + ["María", "Smith", "1001", "2024", "-"]


@given(
    st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=6),
    st.lists(st.sampled_from([" ", ", ", "\n", " - ", "", ". "]), min_size=6, max_size=6),
)
def test_minimise_idempotent_on_mixed_text(fragments: list[str], separators: list[str]) -> None:
    text = "".join(
        fragment + separator for fragment, separator in zip(fragments, separators, strict=False)
    )

    once = minimise_personal_data(text, names=["María Smith"])

    assert minimise_personal_data(once, names=["María Smith"]) == once


_FILLER = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzÁÉñç .,;:!?¿¡()'\"\n-/", min_size=0, max_size=30
)
_EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Digit groups as a reader would take them for one number: joined by single spaces or dashes.
_DIGIT_RUN = re.compile(r"\d+(?:[ -]\d+)*")


@given(_FILLER, st.emails(), st.sampled_from([" ", ". ", ", ", "\n", ") ", ">"]), _FILLER)
def test_no_email_survives(prefix: str, email: str, separator: str, suffix: str) -> None:
    text = f"{prefix} {email}{separator}{suffix}"

    minimised = minimise_personal_data(text)

    assert "@" not in minimised
    assert _EMAIL_LIKE.search(minimised) is None


def _luhn_check_digit(payload: list[int]) -> int:
    total = 0
    for index, digit in enumerate(reversed(payload)):
        # The check digit will sit to the right, so the payload's last digit is doubled.
        value = digit * 2 if index % 2 == 0 else digit
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def _is_luhn_valid(digits: str) -> bool:
    payload = [int(char) for char in digits[:-1]]
    return _luhn_check_digit(payload) == int(digits[-1])


@st.composite
def _card_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """Draw a Luhn-valid 16-digit number and a way a customer might write it."""
    payload = draw(st.lists(st.integers(0, 9), min_size=15, max_size=15))
    digits = "".join(map(str, payload)) + str(_luhn_check_digit(payload))
    separator = draw(
        st.sampled_from(["", " ", "-", "  ", ".", "_", "\n", " \n", "\n\n", ", ", " - ", "|", "/"])
    )
    written = separator.join(digits[index : index + 4] for index in range(0, 16, 4))
    return digits, written


def test_card_overlapping_luhn_window_replaced_whole() -> None:
    # "1004 4111 1111 1111" passes the Luhn check too, so a window that starts at the
    # year must not leave the card's last group behind.
    assert _is_luhn_valid("1004411111111111")

    assert minimise_personal_data("paid 1004 4111 1111 1111 1111 ok") == "paid [CARD] ok"


def test_card_between_short_numbers() -> None:
    text = "1748 1748 0000000000000000 1748 1748"

    assert minimise_personal_data(text) == "1748 1748 [CARD] 1748 1748"


def test_luhn_helper_accepts_known_card() -> None:
    assert _is_luhn_valid("4111111111111111")
    assert not _is_luhn_valid("4111111111111112")


@given(
    _FILLER,
    st.lists(st.from_regex(r"[0-9]{1,4}", fullmatch=True), max_size=2),
    _card_numbers(),
    st.lists(st.from_regex(r"[0-9]{1,4}", fullmatch=True), max_size=2),
    _FILLER,
)
def test_no_luhn_card_survives(
    prefix: str,
    numbers_before: list[str],
    card: tuple[str, str],
    numbers_after: list[str],
    suffix: str,
) -> None:
    digits, written = card
    text = " ".join([prefix, *numbers_before, written, *numbers_after, suffix])

    minimised = minimise_personal_data(text)

    assert digits not in re.sub(r"\D", "", minimised)
    for run in _DIGIT_RUN.findall(minimised):
        run_digits = re.sub(r"\D", "", run)
        for start in range(len(run_digits) - 15):
            assert not _is_luhn_valid(run_digits[start : start + 16]), (run, minimised)


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\u200d", "\u2060"])
def test_invisible_characters_do_not_hide_an_email(hidden: str) -> None:
    text = f"write to jane.doe{hidden}@example.com please"

    assert minimise_personal_data(text) == "write to [EMAIL] please"


def _iban(country: str, bban: str) -> str:
    """Build an IBAN with correct check digits for `country` and `bban`."""
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


@given(
    st.sampled_from(["ES", "DE", "GB", "FR", "NL", "IT", "PT", "BE"]),
    st.text(alphabet="0123456789", min_size=11, max_size=26),
    st.booleans(),
    st.sampled_from(["refund to ", "IBAN: ", "cuenta ", "", "pay "]),
    st.sampled_from(["", " thanks", " gracias", ".", ", 2024", " 1001"]),
)
def test_no_iban_survives(country: str, bban: str, grouped: bool, prefix: str, suffix: str) -> None:
    iban = _iban(country, bban)
    written = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if grouped else iban

    minimised = minimise_personal_data(f"{prefix}{written}{suffix}")

    assert bban[-8:] not in _ascii_digits_only(minimised)


def _ascii_digits_only(text: str) -> str:
    return re.sub(r"\D", "", text)
