"""The rules of the ``creative_mismatch`` check: the message must keep the promise of the ad
that opened the conversation (TikTok Messaging Ads Policies, "Avoiding common violations").

They live apart from the plugin module (``creative_mismatch``) so that they can be compiled
(``mmtkit.native``): a pluggy hook implementation cannot be.

It reads :attr:`mmtkit.policy.PolicyContext.ad_creative` and does nothing without one:

* ``paid_after_free`` — the ad offered something free and the message quotes an amount or
  asks for payment (negated payment words such as "no payment needed" pass), or the ad
  offered one part free ("sofa bed $499 with free delivery") and the message charges an
  amount next to that part ("delivery is another $80"), or sets a condition the ad did not
  state (a purchase or a paid plan first; "no minimum spend" is none);
* ``price`` — every amount quoted differs from the ad's price (the ad's price denied right
  before it, "RM39, not RM19", or said to be over, "the 99k deal is over", does not count), an
  amount is presented as an extra charge, or a higher amount is called the price now beside
  the ad's ("it's $65 now, the $45 was an opening price"), or a percentage differs from the
  one in the ad's offer;
* ``offer_withdrawn`` — the message says the advertised offer no longer applies, or says a
  part of it (a word of the ad's offer, a promotion, or the ad's price followed by a condition
  of purchase) is over or limited in the same clause ("unlimited mileage is only for weekly
  rentals", "the $39 price only applies when you buy two pairs"), or calls the ad's price the
  members' price;
* ``brand`` — the message introduces or signs itself as another business ("thanks for
  reaching out to Horizon Tours", "Globetrek Holidays here") while never naming the ad's brand,
  calls another product's brand by name ("the Happy Paws brand", "da marca ZenMove"), or
  offers another brand in place of the ad's when that is out of stock.

A charge the customer may choose ("the diagnostic is free and you only pay if you go ahead
with the repair") does not break a free promise the message keeps.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from itertools import chain
from typing import Final

from mmtkit.plugins.compliance.analysis import (
    NEGATION,
    NEGATION_NEAR,
    Analysis,
    Range,
    default_matcher,
)
from mmtkit.plugins.compliance.check import CategoryCheck, setting
from mmtkit.plugins.compliance.entities import (
    Money,
    has_digit,
    matches,
    matches_at,
    positions,
    prefix_alternation,
)
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import AdCreative, PolicyContext
from mmtkit.textnorm import WORD_CHARS, normalize_term

CATEGORY: Final = "creative_mismatch"
_PERCENT: Final = re.compile(r"(?<![\d.,])(\d{1,3})\s?%")
_EXTRA_REACH: Final = 30
_NOW_REACH: Final = 15
# Between a negation and the ad's price it denies: nothing, or one word ("not RM19", "bukan
# RM19", "not the $45"). A negation further back is about something else ("flights aren't
# part of the $289 package").
_DENIAL_GAP: Final = re.compile(r" ?(?:[^\s\d]+ )?")
_NAME: Final = r"(?:[A-Z][\w'&\-]*|[A-Z]{2,})(?:\s+(?:[A-Z][\w'&\-]*|&)){0,3}"
# A business introducing itself: "this is X", "welcome to X", "from X", "ng X", "de X"...
_INTRO_CUES: Final = (
    "this is", "welcome to", "reaching out to", "contacting", "messaging", "from", "at", "with",
    "ng", "dari", "daripada", "từ", "bên em là", "shop là", "bên", "de", "do", "da", "del", "of",
    "by", "ini", "di sini", "sini", "aqui é", "somos", "kami",
)
_INTRO: Final = re.compile(
    # The lookahead drops most positions on one character class, and the cues' common
    # prefixes are factored (a cue is followed by a space, so only "bên em là" can be read
    # as another cue plus words, and it comes first either way).
    rf"(?=(?i:[{''.join(sorted({cue[0] for cue in _INTRO_CUES}))}])|จาก|ร้าน)"
    rf"(?:(?<!\w)(?i:{prefix_alternation(list(_INTRO_CUES))})\s+|จาก *|ร้าน *)({_NAME})"
)
# Where _INTRO can begin, found from the name it needs (an ASCII capital after whitespace):
# the lengths of the cues ending in each lower-case ASCII letter, so a cue is only tried
# where it could end right before that whitespace. A non-ASCII letter before it may be one
# of a cue's letters in another case, so every length is tried there.
_INTRO_LENGTHS: Final = tuple(sorted({len(cue) for cue in _INTRO_CUES}))
_INTRO_BY_LAST: Final = {
    last: tuple(sorted({len(c) for c in _INTRO_CUES if c[-1] == last}))
    for last in {cue[-1] for cue in _INTRO_CUES} if last.isascii()
}
_NAME_AFTER_SPACE: Final = re.compile(r"\s[A-Z]")
_THAI_CUES: Final = ("จาก", "ร้าน")


def _intro_starts(text: str) -> list[int]:
    """Every place :data:`_INTRO` may begin: a Thai cue, or where a cue would end right
    before the whitespace in front of a capital letter (property tests hold the matches
    tried there to those of a search)."""
    starts: list[int] = []
    for cue in _THAI_CUES:
        starts += positions(text, cue)
    for match in matches(_NAME_AFTER_SPACE, text):
        end = match.start()
        while end > 0 and text[end - 1].isspace():
            end -= 1
        if end == 0:
            continue
        last = text[end - 1]
        lengths = _INTRO_BY_LAST.get(last.lower(), ()) if last.isascii() else _INTRO_LENGTHS
        starts += [end - n for n in lengths if n <= end]
    return starts


# A business signing its message: "Globetrek Holidays here 😊".
_SIGNED: Final = re.compile(rf"(?<![\w'])({_NAME})\s+here\b")
_GREETINGS: Final = frozenset({
    "hi", "hello", "hey", "hiya", "dear", "good", "morning", "afternoon", "evening", "yes", "ok",
    "okay", "sure", "thanks", "halo", "hai", "hola", "olá", "ola", "chào", "xin",
})
# A name the message calls a brand: "the Happy Paws brand", "da marca ZenMove", "ยี่ห้อ Milky Moo".
_BRAND_WORDS: Final = (
    "brand", "marca", "merek", "merk", "jenama", "thương hiệu", "hãng", "nhãn hiệu", "ยี่ห้อ",
    "แบรนด์", "tatak",
)
_BRAND_WORD: Final = rf"(?<![A-Za-z])(?i:{'|'.join(_BRAND_WORDS)})"
_CALLED_BRAND: Final = re.compile(
    rf"{_BRAND_WORD}\s*(?:(?i:is|ay|é|es|adalah|ialah|là)\s+)?({_NAME})"
    rf"|({_NAME})\s+{_BRAND_WORD}\b"
)
# The advertised product is out of stock, and something else is offered.
_OUT_OF_STOCK: Final = re.compile(
    r"out of|sold out|no stock|out of stock|habis|tiada stok|takde stok|tidak ada stok|het hang|"
    r"hết hàng|hết|หมด|esgotad|agotad|ubos na|wala nang stock"
)
# Words every _OUT_OF_STOCK match contains (a property test holds them to it): the pattern
# has no literal to skip to, so the regex engine starts a match at every character, and few
# messages hold any of these.
_OUT_OF_STOCK_WORDS: Final = (
    "out", "stock", "stok", "habis", "het", "hết", "หมด", "gotad", "ubos na",
)


def _says_out_of_stock(text: str) -> bool:
    return any(w in text for w in _OUT_OF_STOCK_WORDS) and _OUT_OF_STOCK.search(text) is not None


# Words that put one product in place of another.
_SUBSTITUTE: Final = re.compile(
    r"\binstead\b|\b(?:now|actually) (?:selling|stocking|carrying)\b|\bwe (?:now )?(?:stock|carry) "
    r"now\b|\bsebagai gant|\bgantinya\b|\bdiganti dengan\b|\bthay (?:vào|bằng)\b|\ben su lugar\b|"
    r"\ben vez de\b|\bem vez d|\bno lugar d|\bsa halip\b"
)
# Words every _SUBSTITUTE match contains (a property test holds them to it): most messages hold
# none, and a few substring searches cost less than the pattern.
_SUBSTITUTE_WORDS: Final = (
    "instead", "stock", "carry", "selling", "gant", "thay ", "lugar", "vez d", "halip",
)
# Multi-word capitalised or CamelCase names ("Happy Tails", "KeyMaster"); single capitalised
# words start sentences too often.
_OTHER_NAME: Final = re.compile(
    r"(?<![\w'])(?:[A-Z][\w'&\-]*(?:\s+[A-Z][\w'&\-]*){1,3}|[A-Z][a-z]+[A-Z]\w*)"
)
_CAMEL: Final = re.compile(r"[a-z][A-Z]")
# A CamelCase name in the possessive is a brand's product ("BrewMaster's kit"); ordinary
# capitalised words in the possessive are not ("Mother's Day", "New Year's").
_POSSESSIVE_NAME: Final = re.compile(r"(?<![\w'])([A-Z][a-z]+[A-Z]\w*)['\u2019]s\b")
_TOKEN: Final = re.compile(r"[a-z0-9]+")
_NOT_NAMES: Final = frozenset({
    "tiktok", "tiktok shop", "whatsapp", "messenger", "instagram", "facebook",
})


def _amounts_near(value: float, amount: float, tolerance: float) -> bool:
    return abs(amount - value) <= max(tolerance * max(abs(value), 1.0), 0.005)


def _within(a: Range, b: Range, reach: int) -> bool:
    """``a`` ends or starts within ``reach`` characters of ``b``, on either side."""
    return abs(a[0] - b[1]) <= reach or abs(b[0] - a[1]) <= reach


def _tolerance() -> float:
    """How far an amount may be from the ad's price and still be it (``price_tolerance``)."""
    return float(setting(CATEGORY, "price_tolerance", 0.01))


def _unnegated(analysis: Analysis, concepts: tuple[str, ...]) -> list[Range]:
    return [h for c in concepts for h in analysis.hits.get(c, ()) if not analysis.negated(h, c)]


def _paid_after_free(analysis: Analysis, ad: AdCreative) -> list[Finding]:
    if not ad.free:
        return []
    amounts = [(m.start, m.end) for m in analysis.money]
    charges = _unnegated(analysis, ("pay", "fee"))
    # "free" words sit inside "miễn phí"/"free of charge": a fee word inside a free word is
    # the free word itself, not a charge.
    free_words = analysis.hits.get("free_word", [])

    def outside_free_words(ranges: list[Range]) -> list[Range]:
        return [r for r in ranges if not any(f[0] <= r[0] and r[1] <= f[1] for f in free_words)]

    amounts, charges = outside_free_words(amounts), outside_free_words(charges)
    kept_free = bool(_unnegated(analysis, ("free_word",)))
    if kept_free and charges and "optional_charge" in analysis.hits:
        # "The diagnostic is free and you only pay if you go ahead with the repair": a charge
        # the customer may choose, in a message that keeps the free promise.
        optional = {analysis.unit("sentence", s) for s, _ in analysis.hits["optional_charge"]}
        charges = [c for c in charges if analysis.unit("sentence", c[0]) not in optional]
    if amounts and kept_free:
        # The message itself says the offer is free: an amount may price something else
        # ("the screen protector is free; the repair is $45"). It counts beside a charge
        # word ("free, just pay $5 shipping") or beside the free thing not called free.
        items = _free_items(ad.offer) if ad.offer else ()
        unfree = set(_near_unfree_mentions(analysis, items, amounts)) if items else set()
        amounts = [r for r in amounts
                   if r in unfree or any(_within(r, c, _CHARGE_REACH) for c in charges)]
    # "Free when you buy frames": a condition the ad did not state.
    conditions = _unnegated(analysis, ("purchase_condition",))
    if conditions and ad.offer and "purchase_condition" in default_matcher().analyse(
            ad.offer).hits:
        conditions = []  # the ad said so too ("free screen protector with any purchase")
    ranges = sorted(set(amounts + charges + conditions))
    return [CHECK.finding("paid_after_free", ranges)] if ranges else []


# Words around a free word in an offer that do not name the free thing.
_NOT_ITEMS: Final = frozenset({
    "with", "and", "plus", "for", "the", "get", "buy", "your", "all", "any", "also", "when",
    "dengan", "dan", "beli", "dapat", "untuk", "semua", "juga", "kalau", "jika", "serta",
    "com", "con", "para", "por", "mais", "los", "las", "del", "das", "dos", "uma",
    "kem", "mua", "cho", "voi", "tang", "free", "gratis", "percuma", "libre", "gratuito",
    "gratuita", "mien", "phi", "libreng", "walang", "bayad", "nang", "mga", "order", "orders",
})
_ITEM_WORD: Final = re.compile(r"[a-z]{3,}")
# Words that name a promotion in the served languages ("promo", "khuyến mãi" folds to
# "khuyen mai").
_PROMO_WORDS: Final = frozenset({
    "promo", "promotion", "deal", "offer", "discount", "sale", "promosi", "diskon", "potongan",
    "khuyen", "oferta", "promocion", "promocao", "descuento", "desconto", "bundle",
})
# A multi-buy deal, the promotion an ad most often names: "buy 1 get 1", "b1g1", "2x1",
# "1+1", "mua 2 tặng 1" (folded "mua 2 tang 1"), "compre 2 leve 3", "1 แถม 1".
# Read as (paid, taken), "buy 2 get 1" and "3x2" are the same deal, (2, 3). The word before
# the first number says which the numbers are: bought, then given on top ("buy",
# "beli", "mua", "1+1", "b1g1", "1 แถม 1"); bought, then taken in all (Portuguese "compre 2
# leve 3", "compra 2 lleva 3"); taken, then paid ("2x1", "lleva 3 paga 2").
_DEAL: Final = re.compile(
    r"(?<![a-z0-9])(?:(?P<verb>buy|beli|mua|compre|compra|lleva|bili|bumili) ?(?P<a>[0-9]{1,2}) ?"
    r"(?P<then>get|take|free|gratis|tang|leve|lleva|paga|libre|percuma|dapat) ?(?P<b>[0-9]{1,2})"
    r"|b(?P<c>[0-9])[gt](?P<d>[0-9])|(?P<e>[1-9]) ?(?P<sign>[x+]) ?(?P<f>[1-9]))(?![a-z0-9])"
    r"|(?P<g>[0-9]) ?แถม ?(?P<h>[0-9])"
)
_TAKEN_IN_ALL: Final = frozenset({"leve", "lleva"})


def _deals(text: str) -> list[tuple[int, int, tuple[int, int]]]:
    """Each multi-buy deal in ``text``: where it is, and (paid, taken)."""
    found: list[tuple[int, int, tuple[int, int]]] = []
    if not has_digit(text):
        return found
    for m in matches(_DEAL, text):
        if m.group("verb") is not None:
            first, second = int(m.group("a")), int(m.group("b"))
            if m.group("verb") == "lleva" and m.group("then") == "paga":
                deal = (second, first)
            elif m.group("then") in _TAKEN_IN_ALL:
                deal = (first, second)
            else:
                deal = (first, first + second)
        elif m.group("c") is not None:
            deal = (int(m.group("c")), int(m.group("c")) + int(m.group("d")))
        elif m.group("e") is not None:
            first, second = int(m.group("e")), int(m.group("f"))
            deal = (second, first) if m.group("sign") == "x" else (first, first + second)
        else:
            deal = (int(m.group("g")), int(m.group("g")) + int(m.group("h")))
        found.append((m.start(), m.end(), deal))
    return found


@lru_cache(maxsize=256)
def _advertised_deals(offer: str) -> frozenset[tuple[int, int]]:
    return frozenset(deal for _, _, deal in _deals(normalize_term(offer)))


def _multibuy(analysis: Analysis, ad: AdCreative) -> list[Finding]:
    """"Buy 2 get 1 free" when the ad said "buy 1 get 1 free": another deal than the ad's, and
    not the ad's beside it."""
    advertised = _advertised_deals(ad.offer) if ad.offer else None
    if not advertised:
        return []
    quoted = _deals(analysis.normalized.folded)
    if quoted and not any(deal in advertised for _, _, deal in quoted):
        return [CHECK.finding("multibuy", [(start, end) for start, end, _ in quoted])]
    return []


_FREE_COMPOUND: Final = re.compile(
    r"(?<![a-z])free(ship|shipping|ongkir|delivery|postage|gift)(?![a-z])")
_ITEM_REACH: Final = 60
_FREE_SAID_REACH: Final = 20
_CHARGE_REACH: Final = 40


@lru_cache(maxsize=256)
def _free_items(offer: str) -> tuple[str, ...]:
    """The words next to a free word in an ad's offer: "free delivery" → delivery, "frete
    grátis" → frete, "beli 2 percuma tudung" → tudung."""
    analysis = default_matcher().analyse(offer)
    text = analysis.text
    items: list[str] = []
    for start, end in analysis.hits.get("free_word", ()):
        before = _ITEM_WORD.findall(text[max(0, start - 24) : start])[-1:]
        after = _ITEM_WORD.findall(text[end : end + 24])[:2]
        items += [w for w in before + after if w not in _NOT_ITEMS]
    items += _FREE_COMPOUND.findall(text)  # "freeship", "freeongkir": one word
    return tuple(dict.fromkeys(items))


def _free_part_charged(analysis: Analysis, ad: AdCreative, others: list[Money]) -> list[Range]:
    """Amounts charged for the part of the offer the ad gave free ("Sofa bed $499 with free
    delivery" — "delivery to your area is another $80")."""
    items = _free_items(ad.offer) if ad.offer and others else ()
    if not items:
        return []
    return _near_unfree_mentions(analysis, items, [(m.start, m.end) for m in others],
                                 same_sentence=True)


def _word_starts(text: str, item: str) -> list[int]:
    """Where ``item`` (lower-case letters) stands with no letter before it: the matches of
    ``(?<![a-z])item``, without making a pattern per item and message. (An occurrence that
    overlaps an earlier one has one of the item's letters before it, so the overlapping
    places :func:`positions` also lists are never kept.)"""
    return [at for at in positions(text, item) if at == 0 or not "a" <= text[at - 1] <= "z"]


def _near_unfree_mentions(analysis: Analysis, items: tuple[str, ...], charges: list[Range],
                          *, same_sentence: bool = False) -> list[Range]:
    """The charges close to a mention of a free item that the message does not itself call
    free ("delivery is free" keeps that part of the promise)."""
    folded = analysis.normalized.folded
    free_words = analysis.hits.get("free_word", ())
    unit = analysis.unit
    near: list[Range] = []
    for item in items:
        for at in _word_starts(folded, item):
            end = at + len(item)
            if any(abs(f[0] - at) <= _FREE_SAID_REACH
                   and unit("sentence", f[0]) == unit("sentence", at) for f in free_words):
                continue  # "delivery is free": the message keeps that part of the promise
            near += [c for c in charges if _within(c, (at, end), _ITEM_REACH)
                     and (not same_sentence or unit("sentence", c[0]) == unit("sentence", at))]
    return sorted(set(near))


def _beside(amounts: list[Money], hits: Iterable[Range], reach: int) -> list[Money]:
    """The amounts within ``reach`` characters of one of ``hits``, on either side."""
    hits = tuple(hits)
    return [m for m in amounts if any(_within((m.start, m.end), h, reach) for h in hits)]


def _denied(analysis: Analysis, amount: Money) -> bool:
    """The amount right after a negation ("RM39, not RM19 like the video said")."""
    text = analysis.text
    return any(e <= amount.start and _DENIAL_GAP.fullmatch(text, e, amount.start)
               for concept in (NEGATION, NEGATION_NEAR)
               for _, e in analysis.hits.get(concept, ()))


# A price written without its currency, as the ad shows it: two decimals ("29.99", "19,90"),
# not a measure ("1.25 kg", "2.50m") nor a part of a longer number (the character before is
# tested in Python: a pattern that starts with one character class lets the engine skip to
# the next digit in C, three times as fast as one that starts with a look-behind).
_BARE_PRICE: Final = re.compile(
    r"[0-9][0-9]{0,4}[.,][0-9]{2}(?![0-9.,%])"
    r"(?! ?(?:kg|g|gr|mg|cm|mm|m|ml|l|oz|lbs?|in|inch(?:es)?|ft|x)(?![a-z]))")
_NUMBER_CHARS: Final = frozenset("0123456789.,")


def _bare_price_other(analysis: Analysis, price: float, tolerance: float) -> list[Range]:
    """"The band set is 29.99 today" after an ad at 19.99: with no amount in a currency, the
    decimal amounts are the prices quoted, and none of them is the ad's."""
    folded = analysis.normalized.folded
    if "." not in folded and "," not in folded:
        return []
    quoted = [(m.start(), m.end(), float(m.group().replace(",", ".")))
              for m in matches(_BARE_PRICE, folded)
              if m.start() == 0 or folded[m.start() - 1] not in _NUMBER_CHARS]
    if quoted and not any(_amounts_near(price, amount, tolerance) for _, _, amount in quoted):
        return [(start, end) for start, end, _ in quoted]
    return []


def _price(analysis: Analysis, ad: AdCreative) -> list[Finding]:
    tolerance = _tolerance()
    if ad.price is not None and not analysis.money:
        bare = _bare_price_other(analysis, float(ad.price), tolerance)
        if bare:
            return [CHECK.finding("price", bare)]
    elif ad.price is not None:
        price = float(ad.price)
        # "RM39, not RM19 like the video said": a negated ad price is not a match, nor one
        # said to be over in its clause ("the 99k deal is over, it's 189k now").
        ended = analysis.grouped("price_ended", "clause", True)
        matching = [m for m in analysis.money if _amounts_near(price, m.amount, tolerance)
                    and not _denied(analysis, m)
                    and not ended.get(analysis.unit("clause", m.start))]
        others = [m for m in analysis.money if m not in matching]
        if not matching:
            return [CHECK.finding("price", [(m.start, m.end) for m in others])]
        charged = _beside(others, analysis.hits.get("extra_charge", ()), _EXTRA_REACH)
        # "Classic set is $65 now, the $45 was an opening price": a higher amount called the
        # price now, beside the ad's, is the price offered.
        raised = [m for m in others if m.amount > price * (1 + tolerance)]
        charged += _beside(raised, analysis.hits.get("price_now", ()), _NOW_REACH)
        if charged:
            return [CHECK.finding("price", sorted({(m.start, m.end) for m in charged}))]
        free_part = _free_part_charged(analysis, ad, others)
        if free_part:
            return [CHECK.finding("paid_after_free", free_part)]
    # A "%" first: the pattern starts with a look-behind, which the regex engine tries at
    # every character.
    offer = ad.offer
    offered = {int(p) for p in _PERCENT.findall(offer)} if offer and "%" in offer else None
    folded = analysis.normalized.folded
    if offered and "%" in folded:
        quoted = [(m.start(), m.end(), int(m.group(1))) for m in _PERCENT.finditer(folded)]
        if quoted and not any(q in offered for _, _, q in quoted):
            return [CHECK.finding("price", [(s, e) for s, e, _ in quoted])]
    return []


def _offer_withdrawn(analysis: Analysis, ad: AdCreative) -> list[Finding]:
    if not (ad.offer or ad.price is not None or ad.free):
        return []
    ranges = _unnegated(analysis, ("offer_withdrawn",)) or _offer_limited(analysis, ad)
    return [CHECK.finding("offer_withdrawn", ranges)] if ranges else []


@lru_cache(maxsize=256)
def _offer_words(offer: str, brand: str) -> frozenset[str]:
    """The words that name an ad's offer ("unlimited", "mileage", "take"), without the
    brand's and the little words."""
    brand_words = set(_ITEM_WORD.findall(normalize_term(brand))) if brand else set()
    return frozenset(w for w in _ITEM_WORD.findall(normalize_term(offer))
                     if len(w) >= 4 and w not in _NOT_ITEMS and w not in brand_words)


def _offer_limited(analysis: Analysis, ad: AdCreative) -> list[Range]:
    """A part of the ad's offer, or a promotion, said to be over or limited in one clause
    ("wala na po yung buy 2 take 1 promo", "unlimited mileage is only for weekly rentals")."""
    cues = _unnegated(analysis, ("price_ended", "offer_limited"))
    if not cues or not ad.offer:
        return []
    words = _offer_words(ad.offer, ad.brand or "") | _PROMO_WORDS
    for start, end in cues:
        begin, finish = analysis.unit_range("clause", start)
        clause_text = analysis.text[begin:finish]
        if any(w in words for w in _ITEM_WORD.findall(clause_text)) or _DEAL.search(
                clause_text) or _quotes_ad_price(analysis, ad, (begin, finish), start):
            return [(start, end)]
    return []


def _quotes_ad_price(analysis: Analysis, ad: AdCreative, clause: Range, cue: int) -> bool:
    """The ad's price quoted in ``clause`` before a limit that sets a condition of purchase
    ("the $39 price only applies when you buy two pairs") or names a part of what the ad
    covered ("the ₱2,499 is only for older models"): the advertised price is not the
    customer's. A limit in time ("$39 only for this week") keeps it."""
    begin, finish = clause
    hits = analysis.hits
    if ad.price is None or not any(
            cue <= s < finish
            for s, _ in chain(hits.get("purchase_condition", ()),
                              hits.get("creative_mismatch_offer_subset", ()))):
        return False
    price, tolerance = float(ad.price), _tolerance()
    return any(begin <= m.start < cue and _amounts_near(price, m.amount, tolerance)
               for m in analysis.money)


def _without_greeting(name: str) -> str:
    """"Hi Globetrek Holidays" → "Globetrek Holidays": a greeting is not part of a name."""
    words = name.split()
    while words and words[0].lower() in _GREETINGS:
        words.pop(0)
    return " ".join(words)


def _business_names(pattern: re.Pattern[str], text: str, clean: Callable[[str], str],
                    starts: Callable[[str], list[int]] | None = None) -> Iterator[str]:
    """The names ``pattern`` captures that look like a business once cleaned (tried only at
    ``starts(text)`` when the pattern can begin nowhere else)."""
    found = pattern.finditer(text) if starts is None else matches_at(pattern, text, starts(text))
    for match in found:
        if _looks_like_business(name := clean(match.group(1))):
            yield name


def _looks_like_business(name: str) -> bool:
    words = name.split()
    return len(words) >= 2 or bool(_CAMEL.search(name)) or (name.isupper() and len(name) >= 3)


def _whole_word_in(text: str, words: str) -> bool:
    start = text.find(words)
    while start >= 0:
        end = start + len(words)
        if (start == 0 or text[start - 1] not in WORD_CHARS) and (
            end == len(text) or text[end] not in WORD_CHARS
        ):
            return True
        start = text.find(words, start + 1)
    return False


# Every byte but a word character's: what deleting them from the Latin-1 form of a text leaves
# is its :data:`_TOKEN` matches joined (a character Latin-1 cannot hold becomes "?", deleted
# like any other).
_NOT_TOKEN_BYTES: Final = bytes(c for c in range(256) if chr(c) not in WORD_CHARS)


def _names_brand(folded: str, brand: str) -> bool:
    """The brand as whole words, also written together or apart (``Glow Lab``/``GlowLab``)."""
    if _whole_word_in(folded, brand):
        return True
    compact = brand.replace(" ", "")
    # Necessary: the brand in the text's tokens joined, found with two byte operations in C
    # (a token list per ad message cost ten times as much).
    joined = folded.encode("latin-1", "replace").translate(None, _NOT_TOKEN_BYTES)
    if compact.encode("latin-1", "replace") not in joined:
        return False
    tokens = _TOKEN.findall(folded)
    return any(
        "".join(tokens[i : i + n]) == compact for n in (1, 2, 3) for i in range(len(tokens))
    )


@lru_cache(maxsize=256)
def _brand_key(brand: str) -> str:
    """An ad's brand as the folded text spells it; ads repeat across conversations."""
    return normalize_term(brand)


def _other_brand(name: str, brand: str) -> str | None:
    """The folded name when it is a business name other than the ad's brand."""
    key = normalize_term(name.strip())
    if not key or key in brand or brand in key or any(n in key for n in _NOT_NAMES):
        return None
    return key


def _first_other(names: Iterable[str], brand: str, folded: str) -> Range | None:
    """Where the first of ``names`` that is another business than the ad's brand stands in
    the folded text."""
    for name in names:
        key = _other_brand(name, brand)
        if key is not None and (start := folded.find(key)) >= 0:
            return (start, start + len(key))
    return None


def _brand(analysis: Analysis, ad: AdCreative) -> list[Finding]:
    if not ad.brand:
        return []
    brand = _brand_key(ad.brand)
    folded = analysis.text
    original = analysis.normalized.original
    lower = original.lower()
    named = _names_brand(folded, brand)
    # Another brand sent or sold in place of the ad's ("we're sending the VoltEdge power bank
    # instead"), or offered because the ad's is out of stock.
    instead = (any(w in lower for w in _SUBSTITUTE_WORDS) and _SUBSTITUTE.search(lower)) or (
        named and (_says_out_of_stock(folded) or _says_out_of_stock(lower)))
    found = _first_other(chain(
        # Another brand by name, even beside the ad's ("the Happy Paws brand", "BrewMaster's
        # cold brew kit").
        (m.group(1) or m.group(2) for m in _CALLED_BRAND.finditer(original))
        if any(w in lower for w in _BRAND_WORDS) else (),
        (m.group(1) for m in _POSSESSIVE_NAME.finditer(original))
        if "'s" in original or "\u2019s" in original else (),
        (m.group() for m in _OTHER_NAME.finditer(original)) if instead else (),
        # Another business introducing or signing itself, when the ad's brand is never named.
        () if named else _business_names(_INTRO, original, str.strip, _intro_starts),
        () if named or " here" not in original else _business_names(
            _SIGNED, original, _without_greeting),
    ), brand, folded)
    return [CHECK.finding("brand", [found])] if found is not None else []


def _mismatch(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    ad = context.ad_creative
    if ad is None:
        return []
    return (_paid_after_free(analysis, ad) + _price(analysis, ad) + _multibuy(analysis, ad)
            + _offer_withdrawn(analysis, ad) + _brand(analysis, ad))


CHECK: Final = CategoryCheck(CATEGORY, [_mismatch])
