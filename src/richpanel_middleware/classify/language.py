"""A small stop-word language guess for English and Spanish.

Templates ship in English and Spanish only, so the question the worker asks is "which
of these two, or neither". Counting frequent function words answers it without a model
download. Text with too few known words comes back as `unknown`, which means no
template reply (the caller may pass a hint, such as the channel's configured language).
Portuguese, French, Italian and German share words with Spanish or English, so their own
frequent words are counted too, and a message that reads more like one of them comes
back with that code (and gets no template reply).
"""

from __future__ import annotations

import re

from richpanel_middleware.classify.text import fold

_ENGLISH = frozenset(
    [
        "the",
        "and",
        "is",
        "are",
        "was",
        "were",
        "my",
        "i",
        "you",
        "your",
        "it",
        "this",
        "that",
        "to",
        "of",
        "in",
        "for",
        "on",
        "with",
        "have",
        "has",
        "not",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "will",
        "please",
        "where",
        "when",
        "what",
        "how",
        "why",
        "order",
        "be",
        "me",
        "we",
        "our",
        "hi",
        "hello",
        "thanks",
        "thank",
        "just",
        "still",
        "got",
        "get",
        "from",
        "an",
        "at",
    ]
)
_SPANISH = frozenset(
    [
        "el",
        "la",
        "los",
        "las",
        "y",
        "es",
        "son",
        "fue",
        "mi",
        "mis",
        "yo",
        "usted",
        "ustedes",
        "tu",
        "su",
        "sus",
        "esto",
        "esta",
        "este",
        "que",
        "de",
        "del",
        "en",
        "para",
        "por",
        "con",
        "tengo",
        "tiene",
        "no",
        "pero",
        "donde",
        "cuando",
        "como",
        "porque",
        "pedido",
        "gracias",
        "hola",
        "quiero",
        "puedo",
        "pueden",
        "necesito",
        "ya",
        "al",
        "una",
        "un",
        "lo",
        "le",
        "se",
        "me",
        "muy",
        "buenas",
        "buenos",
        "dias",
    ]
)
# Frequent words of neighbouring languages, minus any word also counted above.
_OTHERS: dict[str, frozenset[str]] = {
    code: frozenset(words.split()) - _ENGLISH - _SPANISH
    for code, words in {
        "pt": "os um uma meu minha meus voce nao obrigado obrigada ola onde ainda recebi "
        "encomenda seu sua isso estou foi com do da dos das na nas pelo pela tem sao entrega",
        "fr": "le les et est je vous mon ma mes pas ne ou commande bonjour merci une des du au "
        "aux avec pour suis ai toujours livraison colis recu",
        "it": "il gli che non sono mio mia ordine grazie ciao buongiorno dove perche di della "
        "per ho ancora spedizione ricevuto",
        "de": "der die das und ist ich nicht mein meine bestellung danke hallo wo wann mit ein "
        "eine sie bitte noch paket",
    }.items()
}
_WORD = re.compile(r"[a-z]+")


def detect_language(text: str, *, hint: str | None = None) -> str:
    """Return "en", "es" or "unknown" (or `hint` when the text gives no clear evidence)."""
    words = _WORD.findall(fold(text))
    english = sum(word in _ENGLISH for word in words)
    spanish = sum(word in _SPANISH for word in words)
    # No evidence, or a tie, is "unknown" (no template reply) rather than a guess: a
    # French or German message must not get English copy.
    best = max(english, spanish)
    for code, vocabulary in _OTHERS.items():
        # Portuguese "onde está o meu pedido" shares "esta" and "pedido" with Spanish; its
        # own words decide when they are at least as many.
        if sum(word in vocabulary for word in words) >= max(2, best):
            return code
    if best == 0 or english == spanish:
        return hint or "unknown"
    return "es" if spanish > english else "en"
