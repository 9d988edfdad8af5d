"""Text normalisation shared by the rules and the local model."""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# The header line of a quoted block must fit on one line; everything after it is dropped.
# Only the model reads the stripped text: Tier 0 rules always read the whole message.
_QUOTED_HISTORY = re.compile(
    r"(^|\n)[ \t]*(>|on [^\n]{0,80} wrote:|el [^\n]{0,80} escribi[oó]:|-{2,} ?original message|"
    r"from: [^\n]{0,120}\nsent:).*",
    re.IGNORECASE | re.DOTALL,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Cyrillic, Greek, Armenian and phonetic letters that look like Latin ones.
_LOOK_ALIKE_LETTERS = str.maketrans(
    "аеосрухѕіјԁɡгтмυսցօАВЕКМНОРСТХΑΒΕΖΗΙΚΜΝΟΡΤΥΧοαεντ",
    "aeocpyxsijdgrtmuugoABEKMHOPCTXABEZHIKMNOPTYXoaevt",
)


def strip_quoted_history(text: str) -> str:
    """Drop quoted e-mail history ("On Mon, X wrote:" and `>` lines) so only the new message is read."""
    stripped = _QUOTED_HISTORY.sub("", text)
    return stripped if stripped.strip() else text


def fold(text: str) -> str:
    """Lower-case, strip accents and invisible format characters, unify apostrophes and
    collapse whitespace.

    Format characters (Unicode category Cf, such as zero-width spaces and joiners) are
    dropped so that "charge\u200bback" reads as "chargeback".
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    without_marks = "".join(
        ch
        for ch in decomposed
        if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"
    )
    return _WHITESPACE.sub(" ", without_marks.lower()).strip()


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def latin_look_alike(char: str) -> str:
    """Fold one character to the Latin character it looks like, or return it unchanged.

    Full-width and other compatibility forms fold through NFKC when that gives one
    character, so a text and its folded form always have the same length.
    """
    folded = unicodedata.normalize("NFKC", char)
    if len(folded) != 1:
        folded = char
    return folded.translate(_LOOK_ALIKE_LETTERS)
