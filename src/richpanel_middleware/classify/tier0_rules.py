"""Deterministic Tier 0 rules: chargebacks, legal threats, harassment and fraud.

The rules run on folded text (lower case, no accents, see `classify.text.fold`) before
and independently of any model, in English and Spanish. A hit escalates whatever the
model proposes. The patterns aim at intent ("I will dispute the charge with my bank"), not
at single risky words, so that e-mail disclaimers ("legally privileged") and idioms
("this jacket is killer") do not escalate. A negation right before a hit ("I don't
want to dispute anything") cancels that hit, except in threatening forms such as "don't
make me sue".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from richpanel_middleware.classify.text import fold
from richpanel_middleware.domain.intents import Intent

RULES_VERSION = "tier0_rules_v1"


@dataclass(frozen=True, slots=True)
class Tier0Rule:
    rule_id: str
    intent: Intent
    pattern: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule_id: str
    intent: Intent


# Chat shorthand and frequent misspellings of the words the rules look for.
_SHORTHAND = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "n": "and",
    "acct": "account",
    "accnt": "account",
    "sum1": "someone",
    "some1": "someone",
    "smb": "somebody",
    "lawyr": "lawyer",
    "lawer": "lawyer",
    "laywer": "lawyer",
    "atorney": "attorney",
    "attorny": "attorney",
    "atty": "attorney",
    "addy": "address",
    "adress": "address",
    "dont": "don't",
    "didnt": "didn't",
    "im": "i'm",
    "ill": "i'll",
    "theres": "there's",
    "q": "que",
    "pa": "para",
    "k": "que",
    "xq": "porque",
    "gonna": "going to",
    "wanna": "want to",
    "recognise": "recognize",
    "recognised": "recognized",
    "authorised": "authorized",
    "unauthorised": "unauthorized",
    "teh": "the",
}
_SHORTHAND_PATTERN = re.compile(r"\b(" + "|".join(map(re.escape, _SHORTHAND)) + r")\b")


# "c h a r g e b a c k" or "c-h-a-r-g-e": four or more single letters with one separator each.
_SPACED_LETTERS = re.compile(r"\b(?:[a-z][ .\-_*]){3,}[a-z]\b")
# "ch@rgeback", "l4wyer": a symbol or digit between letters stands for the letter it resembles.
_LEET_BETWEEN_LETTERS = re.compile(r"(?<=[a-z])[@4310$5](?=[a-z])")
_LEET = {"@": "a", "4": "a", "3": "e", "1": "i", "0": "o", "$": "s", "5": "s"}
# Cyrillic and Greek letters that look like Latin ones ("chаrgeback" with a Cyrillic a).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡӏвкмнтαεορτυνικ",
    "aeopcyxijsdglbkmhtaeoptuvik",
)


def normalise_for_rules(text: str) -> str:
    """Fold text, undo simple obfuscation and expand chat shorthand before matching.

    For example "ur acct" becomes "your account", "ch@rgeback" and "c h a r g e b a c k"
    become "chargeback".
    """
    folded = fold(text).translate(_CONFUSABLES)
    folded = _SPACED_LETTERS.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), folded)
    folded = _LEET_BETWEEN_LETTERS.sub(lambda m: _LEET[m.group(0)], folded)
    return _SHORTHAND_PATTERN.sub(lambda m: _SHORTHAND[m.group(1)], folded)


def _rule(rule_id: str, intent: Intent, *alternatives: str) -> Tier0Rule:
    return Tier0Rule(rule_id, intent, re.compile("|".join(f"(?:{a})" for a in alternatives)))


def _near(first: str, second: str, *, words: int = 10) -> str:
    """Match `first` and `second` in either order with at most `words` words between them."""
    gap = rf"(?:\W+\w+){{0,{words}}}?\W+"
    return rf"(?:{first}){gap}(?:{second})|(?:{second}){gap}(?:{first})"


_BANKS = (
    r"(?:bank|card issuer|issuer|credit card (?:company|provider)|card company|visa|mastercard|"
    r"amex|american express|discover|paypal|klarna|afterpay|apple pay|chase|barclays|citi|"
    r"credit union|building society)"
)
_MONEY = r"(?:charge|payment|transaction|purchase|money|funds|amount|order)"

_CHARGEBACK = _rule(
    "chargeback",
    Intent.CHARGEBACK_DISPUTE,
    r"\bcharge[ ._-]?backs?\b",
    r"\bcontra ?cargos?\b",
    r"\bcb (?:filed|opened|case|claim)\b",
    r"\b(?:item not received|inr|not as described|snad) (?:case|claim|dispute)\b",
    r"\bflagged\b(?: \w+){0,4} (?:as )?(?:unrecogni[sz]ed|unauthori[sz]ed|fraudulent)\b",
    rf"\b(?:get|getting|got) (?:my |the )?{_BANKS} involved\b",
    rf"\bunder review (?:by|with|at) (?:my |the )?{_BANKS}\b",
    # A threat to go to the bank: "if it isn't here by Friday I'm calling my bank". Calling
    # the bank to check on a payment is no threat.
    rf"\b(?:i'?m|i am|i will|i'?ll) (?:be )?(?:calling|call|contacting|contact|going to call|"
    rf"going to contact) (?:my |the )?{_BANKS}\b(?! (?:to|and) (?:check|see|ask|confirm|verify|"
    rf"find out|make sure|update|change))",
    rf"\bdisput(?:e|ed|ing)\b (?:\w+ ){{0,3}}(?:the |this |that |a |my |your )?{_MONEY}",
    rf"\b(?:file|filed|filing|open|opened|opening|raise|raised|start|started|starting|submit|submitted|"
    rf"lodge|lodged|put in|initiate|initiated)\b (?:a |an )?(?:formal )?(?:dispute|claim|case)\b"
    rf"(?: \w+){{0,4}} (?:with|through|on|via|at) (?:my |the )?(?:{_BANKS}|credit card|card)\b",
    rf"\b{_BANKS}\b(?: \w+){{0,8}} (?:dispute|reverse|reversing|reversal|claw|clawing|"
    rf"pull(?:ing)? (?:the |my )?(?:money|funds|payment|charge) back|take (?:the )?money back|"
    rf"taking (?:the )?money back|get(?:ting)? (?:my )?money back|investigat\w*|refund(?:ing)? me)",
    # The customer reversing a charge is a chargeback; asking the shop to reverse one is not.
    r"\b(?:i'?ll|i will|i'?m going to|i am going to|going to|i have|i've|i already|already) "
    r"(?:\w+ )?(?:revers\w*|claw\w* back|pull\w* back) (?:the |this |that |my |your )?"
    r"(?:charge|payment|transaction|money)",
    r"\b(?:paypal|klarna|afterpay) (?:dispute|claim|case)\b",
    r"\b(?:put|place|placed|putting) a stop payment\b|\bstop payment order\b|"
    rf"\b{_BANKS}\b(?: \w+){{0,5}} stop(?:ped)? (?:the )?payment\b",
    r"\b(?:reclam\w+|disput\w+|descono[cz]\w+|anul\w+|revert\w+|cancel\w+ (?:en|con|desde)) "
    r"(?:\w+ ){0,3}(?:el |los |este |ese |un )?(?:cargo|cobro)s?\b(?:\s\w+){0,4}\s"
    r"(?:con|en|a|ante|al|desde) (?:mi |el )?(?:banco|tarjeta|emisor|paypal)",
    r"\b(?:banco|tarjeta|emisor|paypal)\b(?: \w+){0,6} (?:me (?:devuelva|devolvera|reembolse)|"
    r"revert\w+|reclam\w+|disput\w+|anul\w+|retroced\w+|investig\w+) ",
    r"\b(?:abrir|abri|abierto|iniciar|inicie|iniciado|poner|puse|presentar|presente) "
    r"(?:una |un )?(?:disputa|reclamo|reclamacion|caso)\b(?: \w+){0,3} (?:con|en|ante|a) "
    r"(?:mi |el |la )?(?:banco|tarjeta|emisor|paypal)",
    r"\bdisputa (?:con|en|ante) (?:mi |el |la )?(?:banco|tarjeta|paypal)",
    _near(
        rf"\b(?:{_BANKS}|number on the back of my card)\b",
        r"\b(?:revers\w*|contest\w*|disput\w*|credited me|temporary credit|refuse the charge|"
        r"take the charge off|pull the funds|retrieval request|proof of delivery|"
        r"looking into the (?:transaction|charge|payment)|investigat\w*|"
        r"(?:get|got|getting) (?:the |my )?(?:\$?\d+ |\$+ |money |funds |payment |cash )back|"
        r"report\w* (?:the )?(?:transaction|charge|payment|purchase)|"
        r"money back through|mark(?:ed)? the order as not received|pause my payments|"
        r"report(?:ed)? a problem with the purchase|claim through)",
        words=16,
    ),
    r"\bsubmitted a claim through my (?:credit )?card\b",
    rf"\b{_BANKS} (?:is|are) (?:now )?handling (?:this|it|the (?:dispute|claim|charge))\b|"
    r"\basked (?:them|my bank|the bank) to (?:pull|reverse|take|claw)\b",
    # Money back through the bank is a chargeback; money back to the card is a refund.
    _near(r"\bbanco\b", r"\b(?:devuelv\w*|me regresen|la plata|el dinero de vuelta)\b", words=10),
    rf"\b(?:told|asked|instructed|called) (?:my |the )?{_BANKS} to (?:refuse|reverse|stop|block|take|pull|"
    rf"dispute|reject|claw|get)\b",
    rf"\b{_BANKS}\b(?: \w+){{0,3}} (?:is |are )?(?:getting|taking|pulling|clawing) (?:it|the money|my money|"
    rf"the payment) back\b",
    # "I've already told Visa." ends there; "told my bank I changed cards" goes on.
    rf"\b(?:already )?(?:told|informed|notified|reported (?:it|this|you|the charge) to) (?:my |the )?{_BANKS}"
    rf"(?:\s*(?:[.!;]|$)| about (?:this|it|you|the charge|your (?:store|shop|company)))",
    rf"\b{_BANKS}(?:'s)? fraud (?:team|department|unit)\b",
    r"\b(?:queja|reclamo|reclamacion) (?:en|con|a|ante) (?:mi |el )?banco\b|\bbanco ya (?:lo sabe|esta al tanto|"
    r"esta enterado)\b",
    r"\bruckbuchung\b|\bretrofacturation\b|\bopposition bancaire\b|\bcontestation bancaire\b",
    r"\bcard dispute\b|\bdispute (?:with|through) (?:my|the) (?:card|bank)\b",
    r"\bdescono[cz]\w+ (?:el |los |este |ese |un )?(?:cargo|cobro|pago)s?\b",
    _near(r"\bdisputas?\b", r"\b(?:banco|tarjeta|paypal|visa|mastercard)\b", words=6),
    _near(
        r"\b(?:banco|tarjeta|compania de mi tarjeta|visa|mastercard|paypal|emisor)\b",
        r"\b(?:devolver el importe|regrese el dinero|devuelva el dinero|abono el dinero|"
        r"pedir las pruebas|revisa la compra|investiga\w*|reclam\w*|contracargo\w*|"
        r"revirt\w*|reviert\w*|revert\w*|retroced\w*)",
        words=10,
    ),
)

_LEGAL = _rule(
    "legal_threat",
    Intent.LEGAL_THREAT,
    r"\b(?:my|our|a|an|the) (?:lawyers?|attorneys?|solicitors?|legal (?:team|counsel|department|"
    r"representative))\b(?: \w+){0,2} (?:will|is going|are going|'ll|has been|have been|is|"
    r"are|shall) ",
    r"\b(?:contact(?:ing)?|call(?:ing)?|consult(?:ing)?|hire|hiring|get(?:ting)?|speak(?:ing)? "
    r"(?:to|with)|talk(?:ing)? to|hear from|involve|involving|retain(?:ed)?|instruct(?:ed)?|"
    r"see|seeing|lawyer up) (?:a |an |my |our )?(?:lawyers?|attorneys?|solicitors?|legal counsel)",
    r"\blawyer(?:ed|ing)? up\b",
    r"\blegal (?:action|steps|proceedings|route|recourse|measures|claim|case)\b",
    # "sue" alone is also a first name, so it needs a threatening frame.
    r"\b(?:i'?ll|i will|i'?m going to|i am going to|going to|we will|we'?ll|to|me|i may|i might|"
    r"i could|i can|i shall) sue\b|\bsue (?:you|your|them|the company|this company|the store)\b|"
    r"\bsuing\b|\bsued\b",
    r"\blaw ?suits?\b|\bclass[- ]action\b|\bsmall[- ]claims\b",
    r"\b(?:see|meet) (?:you|u) in court\b|\b(?:take|taking|bring|drag|dragging) "
    r"(?:you|u|this|it|your \w+|them)(?: \w+){0,2} to (?:court|tribunal|a judge)",
    r"\bcourt (?:case|claim|date|order)\b",
    r"\battorneys? general\b|\bftc\b|\bbetter business bureau\b|\bbbb\b",
    r"\bconsumer (?:protection|ombudsman|rights (?:agency|organi[sz]ation|body)|affairs|"
    r"watchdog|council|agency|authority|bureau|financial protection)",
    r"\bombudsm[ae]n\b|\btrading standards\b|\bcfpb\b|\baccc\b",
    r"\breport(?:ing|ed)? (?:you|u|this|your (?:company|store|shop|business))(?: \w+){0,3} to "
    r"(?:the )?(?:authorities|regulators?|police|state|ftc|bbb|attorney|consumer|trading)",
    r"\bmi abogad[oa]\b|\b(?:un|a un|con un|contratar|contratare|consultar|llamar|hablar con|"
    r"mis|nuestros) (?:\w+ )?abogad[oa]s?\b|\babogad[oa]s? (?:se|va|van|les|los|ya)\b",
    _near(
        r"\babogad[oa]s?\b",
        r"\b(?:carta|redact\w*|escribirles|contactarles|contactara|contactaran|en contacto)\b",
        words=6,
    ),
    r"\b(?:my|our) (?:attorney|lawyer|solicitor|legal counsel)(?:'s office)? (?:has|have|will|is|"
    r"are|wants|needs|says|said|advised|told|sent|sending|drafting|knows|already)\b",
    r"\bhear(?:ing)? from (?:my|our) (?:lawyer|attorney|solicitor)s?\b|"
    r"\bhave my (?:lawyer|attorney|solicitor) (?:handle|deal|look|call|contact|write)\b",
    r"\b(?:a|the) judge (?:can|will|decide|to decide)|\bun juez\b",
    r"\b(?:county|district|small|civil|federal|magistrates?|claims) court\b|\bin court\b|"
    r"\bto court\b",
    r"\bserved (?:with )?(?:legal )?papers\b|\bletter before action\b|\bdemand letter\b|"
    r"\bletter of demand\b|\bcease and desist\b|\bbreach of contract\b|\bconsumer (?:law|rights act)\b",
    r"\b(?:lawyer|attorney|solicitor)s? (?:contacted|called|notified|involved|retained|engaged|"
    r"informed|drafting)\b",
    r"\bserv(?:e|ed|ing) (?:you )?(?:with )?(?:legal )?papers\b",
    r"\bcomplaint (?:with|to) (?:your|the|a) (?:regulator|authorities|ftc|bbb|attorney general|"
    r"consumer)|\b(?:your|the) regulator\b",
    r"\bproceedings (?:will|shall) be\b|\bissue proceedings\b|\bon behalf of my client\b",
    r"\b(?:spoken|spoke|talked|been talking|consulted) (?:to |with )?(?:a|an|my|our) (?:lawyer|attorney|"
    r"solicitor)s?\b",
    r"\b(?:reclamacion|denuncia|queja) ante\b|\bdireccion general de consumo\b",
    r"\bpreserve all (?:records|documents|evidence)\b|\brepresenting (?:a|my|our) client\b",
    r"\b(?:mon|notre|un) avocat\b|\bpoursuivre en justice\b|\b(?:mein|meinen|einen) (?:rechts)?anwalt\b|"
    r"\bverklagen\b",
    r"\bdemanda (?:en camino|lista|preparada)\b|\b(?:para|en) la demanda\b",
    r"\bdemand(?:ar|are|aremos|arlos|arles|arte|arlo|ando|ado)\b",
    r"\b(?:poner|pondre|interponer|presentar|presentare|meter|una) (?:una )?demanda\b",
    r"\bdemanda (?:contra|legal|judicial)\b",
    r"\bdenunci\w+",
    # "a mi juicio" means "in my opinion", so juicio needs a legal frame.
    r"\b(?:llevar\w*|llevo|llevamos|ir|iremos|vamos|nos vemos) (?:a|en) juicio\b|\bjuicio contra\b|"
    r"\b(?:juzgado|tribunales?|accion(?:es)? legal(?:es)?|via legal|medidas legales|"
    r"procedimiento judicial)\b",
    r"\bprofeco\b|\b(?:oficina|defensa|proteccion|asociacion) (?:del|de|al) consum\w+|"
    r"\b(?:ante|a|en) consumo\b|\bhoja de reclamaciones\b",
)

_HARASSMENT = _rule(
    "harassment_threats",
    Intent.HARASSMENT_THREATS,
    r"\bi know where (?:you|u|your \w+) (?:live|work|are)\b",
    r"\b(?:find|found|finding|look up|looking up) (?:out )?where (?:you|u|your \w+) (?:lives?|works?)\b",
    r"\b(?:i'?ll|i will|i'?m going to|i am going to|going to|i want to|i'?d|i would|i could|"
    r"i should|i'?m about to|let me|someone should|somebody should|i'?m gonna) (?:\w+ )?"
    r"(?:kill|murder|hurt|beat|shoot|stab|harm|punch|smash|strangle|slap|destroy) "
    r"(?:you|u|ya|your (?:staff|team|employees|workers|boss|ceo|family|kids|agents)|"
    r"every ?one|all of you|someone|somebody|him|her|them)\b",
    r"\b(?:you|u)(?:'ll| will| are going to| gonna) (?:regret|pay for) (?:this|it)\b",
    r"\bwatch your (?:back|step)\b|\bsleep with one eye open\b",
    r"\b(?:come|coming|show up|showing up|turn up|drive|driving) (?:down |over |round )?"
    r"(?:to|at) (?:your|the) (?:office|warehouse|store|shop|house|home|headquarters|hq)\b"
    r"(?: \w+){0,8} (?:regret|sorry|hurt|see what happens|make you|deal with|trouble|teach|"
    r"won'?t like)",
    r"\b(?:post|publish|leak|share|spread|put out|plaster|expose)(?:ing)? (?:\w+ ){0,3}"
    r"(?:home )?(?:address(?:es)?|phone numbers?|personal (?:info|details|information))\b"
    r"(?: \w+){0,4}(?: of| for)? (?:your|the|every|all)? ?(?:staff|team|employees|ceo|owner|"
    r"agents|workers|boss|manager|founder)",
    r"\bdox+(?:ed|ing)?\b",
    r"\bburn (?:your|the) (?:\w+ )?(?:warehouse|store|shop|office|place|house) down\b",
    r"\b(?:you|u|ur|your) (?:\w+ )?(?:stupid|fucking|fuckin|worthless|useless|pathetic|dumb|brainless) "
    r"(?:idiots?|morons?|bitch(?:es)?|retards?|scum|cunts?|imbeciles?|losers?|pigs?)\b",
    r"\b(?:stupid|fucking|fuckin|worthless|useless|dumb|incompetent|pathetic) "
    r"(?:bitch(?:es)?|cunts?|retards?|whores?)\b",
    r"\bi (?:will|'ll|am going to|'m going to|gonna) (?:find|hunt|track) (?:you|u|your \w+)(?: down)?\b",
    r"\bs[ea] donde (?:vive|viven|vives|trabaja|trabajan|trabajas)\b",
    r"\b(?:te|los|las|les|lo|la) (?:voy|vamos) a (?:matar|buscar|encontrar|golpear|partir|"
    r"reventar|destrozar|hacer dano|quemar)\b",
    r"\b(?:voy|vamos) a (?:ir|pasar)(?: \w+){0,4} (?:a|por) (?:su|tu|la|sus) (?:oficina|almacen|"
    r"tienda|casa|bodega|local)\b(?: \w+){0,8} (?:arrepent|ver|dano|pagar|romper|golpe|destroz|quemar)",
    r"\bse (?:van|vas|va) a arrepentir\b|\bcuidate la espalda\b|\bcuidense\b|\bya veran\b",
    r"\b(?:publicar|publicare|filtrar|filtrare|difundir|difundire|subir|subire)\b(?: \w+){0,4} "
    r"(?:direccion(?:es)?|domicilio|telefono)s?\b",
    r"\b(?:idiotas|imbeciles|estupidos|pendejos|inutiles de mierda|hijos de puta|malditos inutiles|"
    r"putos)\b",
    r"\b(?:post|share|publish|leak|tell everyone) where (?:your|the) (?:\w+ )?(?:\w+ )?(?:lives?|works?)\b",
    r"\bknow (?:what|which|where|who)\b(?: \w+){0,8} (?:lives?|drives?|sleeps?)\b|"
    r"\bknow where (?:you|he|she|they|your \w+) works?\b",
    r"\bsee what happens to (?:you|u|your)\b|\bwhat(?:ever)? is coming (?:to|for) (?:you|u)\b|"
    r"\bit'?s coming for (?:you|u)\b",
    r"\bpay (?:you|u|him|her|them|your \w+) a (?:little )?visit\b",
    r"\bburn (?:\w+ ){0,2}(?:warehouse|store|office|shop|building|place)\b",
    r"\b(?:personal|home|private) (?:phone )?(?:numbers?|phones?|address(?:es)?)\b(?: \w+){0,3} "
    r"(?:of )?(?:your|the) (?:\w+ )?(?:staff|team|agents|employees|workers)\b",
    r"\b(?:staff|agents|employees|workers)(?:'s|')? (?:personal|home|private) "
    r"(?:phones?|numbers?|address(?:es)?)\b",
    r"\bwon'?t walk away\b|\b(?:someone|somebody|you|people|they)(?:'s| is| are)? "
    r"(?:getting|gonna get|going to get|will get) hurt\b",
    r"\b(?:keep|lock) (?:their|your) doors locked\b|\bhope your (?:family|kids|children) (?:stay|keep|are)",
    r"\bmake your (?:life|lives) (?:a )?(?:living )?hell\b",
    r"\b(?:who|what) (?:you|u)(?:'re| are) messing with\b|\bcon quien se (?:estan )?met\w+",
    _near(r"\b(?:office|home|warehouse|store|house) address\b", r"\bsee (?:you|u) soon\b", words=8),
    r"\bwaiting for (?:him|her|you|them|u) with\b|\bwith a (?:bat|gun|knife|crowbar|hammer)\b",
    r"\byou won'?t like what (?:i|we)(?:'ll| will)? do\b|\bwho'?s laughing when\b",
    r"\bno respondo de (?:lo que|mis actos)\b",
    r"\bknow what time (?:your|you) (?:\w+ )?(?:clock off|leave|finish|get off|close)\b|"
    r"\bknow (?:which|what) car\b",
    r"\bor else[.!]*\s*$",
    _near(
        r"\b(?:post|posting|publish|leak|share|sharing|spread|make a video|put up)\w*\b",
        r"\b(?:full name|phone number|home address|pic of (?:her|his|their) house|"
        r"photo of (?:her|his|their) house)\b",
        words=8,
    ),
    r"\b(?:tenga|tengan|tengas) cuidado cuando salga\w*\b|\bque (?:tenga|tengan) cuidado\b",
    r"\bsending (?:my )?(?:brothers|boys|friends|guys|people|cousins|crew)\b(?: \w+){0,2} (?:to|round to|"
    r"over to) your\b",
    r"\bfound your\b(?: \w+){0,4} (?:girlfriend|boyfriend|wife|husband|family|kids|house|home address)\b",
    r"\blo (?:va|van|vas) a pagar caro\b|\bme planto en su\b",
    r"\b(?:i'?ll|i will) be waiting (?:outside|for you|for (?:him|her|them))\b",
    r"\b(?:keep ignoring|ignore) me and (?:see|watch)\b|\bcoming down there\b|\bnot leaving nicely\b",
    r"\bfound (?:her|his|their) (?:facebook|instagram|linkedin|address|house|family)\b|"
    r"\bmessage (?:her|his|their) family\b|\b(?:kid|kids|children|daughter|son)'?s? school\b",
    r"\b(?:os vais|se van|te vas) a enterar\b|\bdeserves? a (?:beating|slap|punch|smack|kicking)\b",
    r"\bf(?:uck|\*+|u\*+k|\*+k) (?:you|your (?:company|staff|team|store|shop))\b",
    r"\bi (?:know|have|got) (?:your|ur) (?:home |personal |private )?address\b",
    r"\bmake (?:you|them|him|her|your \w+) (?:\w+ )?regret\b",
    r"\bfound (?:your|the) (?:\w+(?:'s)? ){0,2}(?:family|kids|children|home|house|wife|husband)\b",
    r"\b(?:knows?|find out|found out|tell me|looked up|figure out) where (?:she|he|they|you|your \w+|"
    r"the \w+) (?:lives?|works?)\b",
    r"\b(?:you|your \w+|staff|agents|team|employees|people)\b(?: \w+){0,2} (?:are|is) (?:all )?"
    r"(?:\w+ )?(?:idiots|morons|clowns|imbeciles|scum|cunts|retards|garbage|trash)\b",
    r"\b(?:you|your \w+)(?: \w+){0,2} (?:incompetent|stupid|useless|brainless|worthless|dumb|lying) "
    r"(?:clowns?|cows?|idiots?|morons?|pieces? of (?:shit|garbage|trash))\b",
    r"\bpieces? of (?:shit|garbage|trash)\b|\bdead meat\b|\byou'?re (?:all )?(?:dead|gonna die)\b",
    r"\b(?:going to|will|'ll) find (?:you|your \w+)\b|\bi'?m coming for (?:you|him|her|them|your)\b",
    r"\bsee what (?:i|we)(?:'ll| will)? do to (?:you|your)\b",
    _near(
        r"\b(?:home|personal|private|their) address(?:es)?\b",
        r"\b(?:post|posted|publish|leak|share|everywhere|online|go up|review sites?|public)\b",
        words=6,
    ),
    r"\b(?:someone|somebody|you|people|they|your \w+)(?: \w+)?(?:'s| is| are)? (?:getting|going to get|"
    r"will get|gets) hurt\b",
    r"\bwith (?:my )?fists\b|\ba (?:golpes|trompadas|madrazos|los golpes)\b",
    r"\bdrive over and show (?:you|u)\b|\bshow (?:you|u) how angry\b",
    r"\bwhat happens to (?:people|those|anyone|anybody) who\b",
    r"\bthreaten(?:ing)? (?:you|your)\b|\bvisit (?:at|to) (?:home|your home|their home|his home|"
    r"her home)\b|\ba visit at home\b",
    r"\bdeal with whoever\b|\bhope something (?:\w+ )?happens to (?:you|your)\b",
    r"\b(?:come|coming|go|going) (?:to|into) your (?:office|store|shop|warehouse)\b(?: \w+){0,3} "
    r"(?:smash|break|wreck|trash|destroy)",
    r"\bs[ea] en (?:que|cual) (?:barrio|calle|ciudad|zona|colonia) (?:vive|viven|vives)\b",
    r"\bno va a ser para hablar\b|\b(?:part\w*|romper\w*) la cara\b",
    r"\blo que le pasa a (?:la gente|quien|los que)\b",
)

_FRAUD = _rule(
    "fraud_suspected",
    Intent.FRAUD_SUSPECTED,
    r"\b(?:did ?n[o']?t|didnt|never|did not|have not|haven't|havent) (?:\w+ )?(?:place|placed|make|"
    r"made|order|ordered|authori[sz]e|authori[sz]ed|buy|bought|purchase|purchased|recogni[sz]e)\b"
    r"(?: \w+){0,3} (?:this|that|these|those|the|an|any|such)? ?(?:order|purchase|charge|"
    r"transaction|payment|item)s?\b",
    r"\bnot my (?:order|purchase|charge|transaction|package)\b",
    r"\b(?:order|charge|purchase|transaction|payment)s? (?:that )?(?:i|we) (?:do ?n[o']?t|"
    r"did ?n[o']?t|dont|didnt|never|do not|did not|can ?not|can't|cant) (?:recogni[sz]e|place|"
    r"make|made|authori[sz]e|placed|remember (?:making|placing))",
    r"\b(?:do ?n[o']?t|dont|do not|can't|cannot|cant) recogni[sz]e (?:this|that|these|the|an|any) "
    r"(?:order|purchase|charge|transaction|payment)",
    r"\bunauthori[sz]ed (?:\w+ )?(?:order|purchase|charge|transaction|use|payment|access|login)s?\b",
    r"\b(?:someone|somebody|a thief|thieves|some ?one else|they|hackers?|a hacker) (?:has |have )?"
    r"(?:used|is using|are using|been using|stole|bought \w+ on|ordered (?:with|using|on)|made purchases with|"
    r"charged) (?:my|our) (?:\w+ )?(?:card|account|details|paypal|identity|information|info)\b",
    r"\b(?:stolen|hacked|compromised|cloned|someone else's|somebody else's) (?:credit |debit )?"
    r"(?:card|account|details)s? (?:was |were |got |has been )?(?:used|to (?:buy|order|pay|purchase)"
    r"|for (?:this|that|an|the) order)",
    r"\b(?:my )?account (?:was|got|has been|had been|is) (?:hacked|compromised|taken over|broken into)\b",
    r"\bidentity theft\b|\bstole my identity\b|\baccount takeover\b",
    r"\bfraudulent(?:ly)? (?:\w+ )?(?:order|charge|purchase|transaction|activity|use|payment)s?\b",
    r"\b(?:this|that|these|those) (?:charges?|orders?|purchases?|transactions?) (?:is|are) "
    r"(?:not|n't|nt) (?:mine|ours)\b",
    r"\bno (?:hice|realice|reconozco|autorice|he hecho|he realizado|he autorizado|pedi|compre)\b"
    r"(?: \w+){0,3} (?:este|ese|esta|esa|estos|estas|el|la|los|las|ningun|ninguna|dicho|dicha)? ?"
    r"(?:pedido|compra|cargo|cobro|orden|transaccion|pago)s?\b",
    r"\b(?:alguien|un desconocido|otra persona|terceros?|hackers?) (?:\w+ )?(?:uso|ha usado|"
    r"utilizo|ha utilizado|esta usando|uso mis datos de|hizo (?:una )?compras? con) (?:mi|mis) "
    r"(?:\w+ )?(?:tarjeta|cuenta|datos|identidad|paypal)",
    r"\b(?:tarjeta|cuenta) "
    r"(?:fue |ha sido )?(?:robada|hackeada|jaqueada|clonada|vulnerada) (?:y|para|la usaron|"
    r"la usaron|alguien)",
    r"\b(?:cargos?|compras?|cobros?|pedidos?) (?:no autorizad|fraudulent|que no reconozco|"
    r"que no hice|desconocid)\w*",
    r"\b(?:suplantacion|robo) de identidad\b|\bno es mi (?:pedido|compra|cargo|orden)\b|"
    r"\bno son mi(?:o|a)s\b",
    r"\b(?:charge|order|purchase|transaction|payment|account|card)s?\b(?: \w+){0,3} (?:isn'?t|"
    r"aren'?t|wasn'?t|weren'?t|is not|are not) (?:mine|ours)\b|"
    r"\b(?:it|that) (?:wasn'?t|was not) me\b|\bnot by me\b|"
    r"\bwhoever\b.{0,40}\b(?:isn'?t|wasn'?t|is not|was not) me\b",
    _near(
        r"\b(?:i|we) (?:never|didn'?t|did not|didnt|have never|haven'?t) (?:even )?(?:order|ordered|place|"
        r"placed|make|made|buy|bought|authori[sz]e|authori[sz]ed|ask(?:ed)? for|shop(?:ped)?)\b",
        r"\b(?:card|account|charged?|statement|bank|identity|confirmation|e-?mail|someone|somebody|"
        r"another state|address i don'?t know|from you|with you|stranger)\b",
        words=10,
    ),
    r"\b(?:someone|somebody|a stranger|some ?one else)(?:'s)?\b (?:has |had )?(?:been )?(?:changed|reset|"
    r"logging into|buying|"
    r"accessed|got into|logged into|is ordering|ordering|placed|is using|has been using|spending|bought|"
    r"is spending|got hold of|emptied|drained)\b",
    r"\b(?:reset|changed|accessed|logged in|used|charged|order|ordered|bought|placed|made|opened)\b"
    r"(?: \w+){0,6} "
    r"without (?:me asking|my (?:permission|consent|knowledge|authori[sz]ation))\b",
    r"\b(?:don'?t|do not|can'?t|cannot) recogni[sz]e (?:\w+ ){0,2}(?:order|purchase|charge|"
    r"transaction|payment)s?\b",
    r"\bthat (?:i|we) (?:\w+ )?(?:didn'?t|did not|never|didnt) (?:place|make|authori[sz]e|order|buy)\b",
    r"\b(?<!gift )(?:card|account|details)\b(?: \w+){0,4} (?:was|were|got|has been) used (?:to|for)\b"
    r"(?: \w+){0,6} (?:i|we) (?:never|didn'?t|did not)\b",
    _near(
        r"\bcard (?:was|got) charged\b", r"\b(?:doesn'?t|don'?t|never) (?:even )?have an account\b"
    ),
    r"\bnever lived at\b",
    _near(
        r"\b(?:i|we)(?:'ve| have) never (?:shopped|ordered|bought)\b",
        r"\b(?:charge|charged|card|statement|confirmation)\b",
        words=12,
    ),
    r"\bsomeone hack(?:ed)? me\b|\bhacked me\b",
    r"\b(?:those|these|they) (?:orders? )?(?:aren'?t|are not|weren'?t|were not) (?:mine|ours)\b",
    rf"\b{_BANKS} flagged (?:a|the|this|that) (?:purchase|charge|transaction|payment)\b|\bwallet was stolen\b",
    r"\b(?:order|charge|purchase|transaction|payment)s?\b(?: \S+){0,3} (?:isn'?t|is not|wasn'?t|was not) "
    r"(?:mine|ours)\b",
    r"(?<!todavia )(?<!aun )\bno he comprado nada\b(?=.{0,80}\b(?:cargo|cobro|tarjeta|pedido)\b)|\b(?:me )?han robado (?:los )?datos\b|\bsin mi (?:permiso|autorizacion|"
    r"consentimiento)\b|\bme han (?:hackeado|jaqueado|robado|clonado) (?:la|mi) (?:cuenta|tarjeta)\b",
    r"\b(?:order|charge|purchase|transaction|payment)s?\b(?: \w+){0,5} (?:i|we) (?:didn'?t|did not|never|"
    r"don'?t) (?:make|made|place|placed|authori[sz]e|recogni[sz]e|order|ordered)\b",
    r"\b(?:hacked|compromised|took over|broke into|got into) (?:my|our) (?:\w+ )?(?:account|login|card)\b",
    r"\baccount (?:was |got |has been )?(?:hacked|compromised|taken over)\b",
    r"\b(?:i|we) (?:never|didn'?t|did not) (?:order|ordered|bought|buy|purchase|purchased|authori[sz]ed?|"
    r"place|placed) (?:this|that|these|it|them|anything)\b(?! (?:size|colou?r|one|model|version|"
    r"variant|style|flavou?r|shade|in |item,))",
    r"\bstolen and used\b|\b(?:card|account|details)\b(?: \w+){0,4} used (?:on|at|in) (?:your|this) "
    r"(?:site|store|shop|website)\b",
    r"\b(?:charge|order|purchase|transaction|payment)s?\b(?: \w+){0,4} (?:i|we) (?:don't|do not|"
    r"didn't|did not|can't|cannot) recogni[sz]e\b",
    r"\bwho (?:placed|made) (?:an |this |that |the )?(?:order|purchase)\b(?: \w+){0,2} (?:with|using|on|"
    r"from) my\b|\bquien (?:hizo|realizo|"
    r"pidio) (?:una |un |el |la |este |esta )?(?:compra|pedido)\b",
    r"\b(?:bought|ordered|charged|used|placed|made|purchased|spent|spending|ordering|buying)\b"
    r"(?: \w+){0,6} without (?:my )?permission\b|\b(?:my|a) stolen (?:credit |debit )?card\b",
    r"\bidentity (?:was|has been|got) stolen\b|\b(?:account|order)s?(?: \w+){0,3} (?:created|opened|"
    r"placed) in my name\b",
    r"\b(?:card|details) (?:was |were |got |has been )?(?:\w+ )?skimmed\b|\bskimmed (?:my|the) card\b|"
    r"\b(?:treat|report(?:ing)?) (?:this|it) as fraud\b|\b(?:this is|looks like) fraud\b",
    # "me llego un producto que no pedi" is a wrong item, not an order someone else placed.
    r"(?<!producto )(?<!productos )(?<!articulo )(?<!articulos )(?<!talla )"
    r"(?<!color )(?<!modelo )\bque no (?:pedi|hice|compre|autorice)\b|\b(?:yo )?nunca (?:compre|hice|pedi|realice) (?:nada|ese|"
    r"esa|este|esta|ningun)\b|\brobaron (?:mis|los) datos\b",
    r"\b(?:pedido|compra|cargo|cobro|orden)s? (?:\w+ ){0,6}que (?:yo )?(?:nunca|no) (?:hice|realice|"
    r"pedi|autorice|compre|he hecho|he realizado|he pedido|he comprado)\b",
    r"\balguien (?:\w+ )?(?:cambio|entro|accedio|compro|uso|esta usando|ha usado|ha entrado|hecho|realizado|"
    r"ha comprado|hizo)\b",
    _near(
        r"\b(?:me robaron|robaron|hackearon|jaquearon|clonaron)\b",
        r"\b(?:compras?|cargos?|pedidos?|usaron|uso|aparece|compr\w+|pidieron)\b",
        words=12,
    ),
)

TIER0_RULES: tuple[Tier0Rule, ...] = (_CHARGEBACK, _LEGAL, _HARASSMENT, _FRAUD)

_NEGATION_BEFORE = re.compile(
    r"(?:\b(?:(?:i'?m|i am|we'?re|we are) not|don't|dont|do not|won't|wont|will not|not going to|no need to|never want to|"
    r"no quiero|no voy a|no vamos a|no pienso|no necesito|not trying to|not planning to|"
    r"rather not|no intention to|no intention of)\s+(?:\w+\s+){0,2})$"
)


# A negation inside a two-part match ("my bank shows it twice, I don't want to dispute it").
_NEGATION_INSIDE = re.compile(
    r"\b(?:don't want to|do not want to|not going to|no quiero|no voy a|no pienso|"
    r"no necesito|not disputing|no need to)\b"
)


# Negated forms that are still threats: "don't make me call my lawyer", "I won't hesitate to".
_THREATENING_NEGATION = re.compile(
    r"\b(?:(?:don't|dont|do not) (?:make|force|push) me|(?:won't|wont|will not|would not|"
    r"wouldn't) hesitate|no me (?:hagan|obliguen)|no (?:dudare|dudaremos) en)\b"
)


def _negated(prefix: str, matched: str) -> bool:
    if _THREATENING_NEGATION.search(f"{prefix}{matched}"):
        return False
    return bool(_NEGATION_BEFORE.search(prefix) or _NEGATION_INSIDE.search(matched))


_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)


def match_tier0(text: str) -> tuple[RuleHit, ...]:
    """Return one hit per Tier 0 rule that matches `text`, in rule order.

    Lines quoted with `>` are someone else's earlier words (often our own agent's), so
    they are skipped; every other line is read, including new text below a quoted block.
    """
    folded = normalise_for_rules(_QUOTED_LINE.sub("", text))
    hits: list[RuleHit] = []
    for rule in TIER0_RULES:
        for match in rule.pattern.finditer(folded):
            prefix = folded[max(0, match.start() - 40) : match.start()]
            if _negated(prefix, match.group(0)):
                continue
            hits.append(RuleHit(rule.rule_id, rule.intent))
            break
    return tuple(hits)
