"""Extractors for the things a diversion or a scam hands over: links, e-mail addresses,
handles, phone numbers, amounts of money and executable file names.

They run on the folded text (:attr:`mmtkit.textnorm.Normalized.folded`: lower case, no
zero-width characters, spaced-out letters and digits joined), and accept the usual written-out
disguises (``name[at]gmail[dot]com``, ``whatsapp dot me slash 62812...``). Every pattern has
bounded repetitions, so no input makes them backtrack. Phone numbers are confirmed with
``phonenumbers`` (Google's libphonenumber metadata) for the markets the SDK serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

import phonenumbers
from attrs import frozen
from phonenumbers import PhoneMetadata, ValidationResult

from mmtkit.native import c_function
from mmtkit.textnorm import WORD_CHARS

__all__ = ["AT_WORDS", "DIGIT_WORDS", "DOTTED_TLDS", "DOT_WORDS", "EXTENSION_HINTS", "PROVIDERS",
           "WRITTEN_DOT", "Found", "Money", "emails", "executable_files", "handles", "has_digit",
           "matches", "matches_at", "may_spell_a_number", "money", "phone_numbers", "positions",
           "prefix_alternation", "spelled_phone_numbers", "urls"]


@frozen
class Found:
    start: int
    end: int
    value: str


@frozen
class Money:
    start: int
    end: int
    amount: float
    currency: str | None


DOT_WORDS: Final = ("dot", "titik", "cham", "ponto", "punto")
"""A dot written as a word, in the served languages (Vietnamese "chấm" folds to "cham"). The
analysis finds them with the lexicon's terms, so that most messages need not be searched for
them again (:func:`urls`'s ``dot_words``)."""
AT_WORDS: Final = ("at", "arroba")
"""The words an e-mail address's "@" is written out as ("name [at] mail", "name arroba
mail"), for the analysis as :data:`DOT_WORDS` (:func:`emails`'s ``at_words``)."""
_WRITTEN_DOT: Final = rf"\s?[\[({{]\s?(?:dot|\.)\s?[\])}}]\s?|\s(?:{'|'.join(DOT_WORDS)})\s"
WRITTEN_DOT: Final = re.compile(_WRITTEN_DOT)
"""A dot written out or defanged: ``[dot]``, `` dot ``, ``[.]``, ``(.)``..."""
_DOT: Final = rf"(?:\.|{_WRITTEN_DOT})"
_AT: Final = r"(?:@|\s?[\[(]\s?at\s?[\])]\s?|\s(?:at|arroba)\s)"
_SLASH: Final = r"(?:/|\s(?:slash|garis miring)\s)"
# Atomic groups ("(?>...)"): what follows a label or a local part (a dot, "@", a space or a
# bracket) can never be one of its characters, so giving characters back cannot lead to a
# match; without them the engine retries every shorter prefix of every word (twice as slow).
_LABEL: Final = r"(?>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)"
# Top-level domains people actually send in chats: the markets', the link shorteners' and
# link pages' (bit.ly, linktr.ee, encurt.ar), and the cheap ones scam sites use.
_TLDS: Final = (
    "com", "net", "org", "info", "biz", "io", "co", "me", "ly", "at", "id", "my", "vn", "th",
    "ph", "sg", "br", "mx", "es", "pt", "link", "site", "online", "shop", "store", "xyz", "app",
    "page", "club", "top", "cc", "to", "gl", "gd", "in", "us", "uk", "ru", "cn", "tk", "ml",
    "ga", "cf", "gq", "icu", "live", "vip", "win", "bet", "click", "asia", "one", "pro", "fun",
    "ws", "tv", "is", "im", "su", "la", "kr", "jp", "hk", "tw", "au", "nz", "ee", "ar", "de",
    "fr", "it", "nl", "ca", "eu", "ch", "cl", "pe", "ve", "uy", "bo", "py", "ec", "gt", "pa",
    "kh", "mm", "bd", "pk", "lk", "ae", "sa", "tr", "pl", "help", "support", "tech", "dev",
    "ai", "gg", "pw", "cam", "mobi", "world", "today", "space", "website", "cyou", "sbs", "lol",
    "buzz", "monster", "quest", "bond", "cfd", "cloud", "digital", "email", "finance", "money",
    "cash", "loan", "loans", "games", "casino", "poker", "promo", "deals", "gift", "gifts",
    "delivery", "express", "center", "services", "network", "fyi", "rest", "host", "run",
    "life", "love", "tips", "wiki", "news", "blog", "media", "social", "chat", "zone", "work",
    "market", "ltd", "inc", "gov", "edu", "gy", "do", "li", "vc",
)


def prefix_alternation(words: list[str]) -> str:
    """A regular expression matching exactly ``words``, with common prefixes factored out
    (``c(?:om|o|c|...)``): the engine then tries a few first letters at each position instead
    of every word. It tries longer words before their prefixes, whatever the list's order, so
    a pattern using it must let at most one word lead to a match at a position (here each is
    followed by something no word letter can be: a lookahead, "/", a space)."""
    by_first: dict[str, list[str]] = {}
    for word in words:
        if word:
            by_first.setdefault(word[0], []).append(word[1:])
    branches = [re.escape(first) + prefix_alternation(rest) for first, rest in by_first.items()]
    if not branches:
        return ""
    if len(branches) == 1 and "" not in words:
        return branches[0]
    return "(?:" + "|".join(branches) + (")?" if "" in words else ")")


_TLD: Final = prefix_alternation(list(_TLDS))
_URL: Final = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"']{{1,2000}}"
    rf"|(?<![a-z0-9@.\-]){_LABEL}(?:{_DOT}{_LABEL}){{0,5}}{_DOT}{_TLD}(?![a-z0-9\-])"
    rf"(?:{_SLASH}[^\s<>\"']{{0,2000}})?"
)
_EMAIL: Final = re.compile(
    rf"(?<![a-z0-9._%+\-])(?>[a-z0-9._%+\-]{{1,64}}){_AT}{_LABEL}(?:{_DOT}{_LABEL}){{0,4}}{_DOT}"
    rf"[a-z]{{2,12}}(?![a-z0-9])"
)
# "name at gmail", "name@yahoo": a mailbox at a well-known provider needs no domain ending.
PROVIDERS: Final = ("gmail", "yahoo", "hotmail", "outlook", "icloud", "ymail", "protonmail")
"""Found by the analysis as :data:`DOT_WORDS` are (:func:`emails`'s ``providers``)."""
# With a written "at", the name must look like one ("care.lunaloft", "shop_88"), not a word
# ("write to me at gmail").
_PROVIDER_EMAIL: Final = re.compile(
    r"(?<![a-z0-9._%+\-])(?:(?>[a-z0-9._%+\-]{1,64}) ?@ ?"
    r"|(?>[a-z0-9%+\-]*[._0-9][a-z0-9._%+\-]*)(?: at | ?\[at\] ?| ?\(at\) ?))"
    rf"(?:{'|'.join(PROVIDERS)})(?![a-z0-9.])"
)
# "name @ gmail , com": a spaced "@" and a comma for the last dot, before a known domain.
_SPACED_EMAIL: Final = re.compile(
    rf"(?<![a-z0-9._%+\-])(?>[a-z0-9._%+\-]{{1,64}}) ?@ ?{_LABEL}(?:{_DOT}{_LABEL}){{0,4}}"
    rf" ?, ?{_TLD}(?![a-z0-9])"
)
# Pre-checks that start with a literal or a rare character class, so the regex engine skips
# through ordinary text in C; the full patterns run only when these hit.
_DOTTED_TLD: Final = re.compile(rf"\.{_TLD}(?![a-z0-9\-])")
DOTTED_TLDS: Final = tuple(f".{tld}" for tld in _TLDS)
"""What every match of the links' top-level-domain pattern begins with (the domains are
letters only), for the analysis as :data:`DOT_WORDS` (:func:`urls`'s ``dotted_tlds``)."""
_WRITTEN: Final = ("[dot]", "(dot)", "{dot}", *(f" {word} " for word in DOT_WORDS))
_DEFANGED: Final = re.compile(r"[\[({]\s?\.\s?[\])}]")  # "example[.]com", the way scam links hide


def _written_dot(text: str, dot_words: bool = True) -> bool:
    """A dot written as a word or in brackets; a few substring searches in C first.
    ``dot_words`` false: the caller knows that no word of :data:`DOT_WORDS` is in ``text``."""
    if "." in text and ("[" in text or "(" in text or "{" in text) and _DEFANGED.search(text):
        return True
    if not dot_words or not any(word in text for word in DOT_WORDS):
        return False
    return any(w in text for w in _WRITTEN)


_DIGITS: Final = re.compile(r"[0-9][0-9 ().\-]{6,22}[0-9]")
# A number with thousands separators ("1,299", "25.000"), else up to nine digits, either with
# decimals. The first digit is taken out of both branches: a pattern that starts with one
# character class lets the engine skip to the next digit in C, where a branch of two repeats
# is tried at every position of the text (three times as slow over a message).
_NUMBER: Final = re.compile(
    r"[0-9](?:[0-9]{0,2}(?:[.,][0-9]{3}){1,4}(?:[.,][0-9]{1,2})?|[0-9]{0,8}(?:[.,][0-9]{1,2})?)"
)
# Installers and scripts, and the iOS configuration profiles that install one unseen.
_EXTENSIONS: Final = ("apk", "xapk", "exe", "scr", "msi", "bat", "cmd", "vbs", "jar", "ps1", "dmg",
                      "pkg", "ipa", "mobileconfig")
_EXTENSION: Final = re.compile(rf"\.(?:{'|'.join(_EXTENSIONS)})(?![a-z0-9])")
EXTENSION_HINTS: Final = tuple(sorted({"." + e.rstrip("0123456789") for e in _EXTENSIONS}))
"""What every extension :func:`executable_files` finds begins with, without its trailing
digits (leetspeak reads ".ps1" as ".psi" in the text the analysis searches), for the analysis
as :data:`DOT_WORDS` (:func:`executable_files`'s ``extensions``)."""
_HANDLE: Final = re.compile(r"(?<![a-z0-9._%+\-])@[a-z0-9_][a-z0-9_.]{2,30}")
# Words that say a digit group is an order, parcel, invoice or ticket reference, right
# before it (a label, then at most "no.", "id", "is", "#" or ":"), in the served languages.
_REFERENCE_CUE: Final = re.compile(
    r"(?:order|orders|pesanan|don hang|ma don|pedido|encomenda|invoice|receipt|resi|awb|"
    r"tracking|waybill|parcel|paket|bill|hoa don|van don|ma van don|factura|nota|fatura|"
    r"rastreio|rastreamento|guia|seguimiento|referencia|reference|ref|ticket|case)"
    r"(?: ?(?:number|num|no|nomor|so|numero|id|code|kode|ma))?\.?"
    r"(?: (?:is|la|adalah|ialah|e|es|ay))? ?[#:=]? ?$"
)
_YEAR_RANGE: Final = re.compile(r"(?:19|20)[0-9]{2} ?- ?(?:19|20)[0-9]{2}")
_PHONE_REGIONS: Final = ("ID", "MY", "VN", "TH", "PH", "SG", "BR", "MX", "ES", "PT", "US", "GB")

_PREFIX: Final = re.compile(
    r"(us\$|r\$|s\$|rm|rp|usd|php|mxn|idr|myr|vnd|brl|sgd|thb|eur|₱|\$|€|£|฿|₫)\s?$"
)
_SUFFIX: Final = re.compile(
    r"\s?(₫|đ|d|vnd|dong|baht|บาท|pesos?|reais|real|ringgit|rupiah|usd|mxn|idr|myr|thb|php|brl|"
    r"k|rb|ribu|jt|juta|nghin|ngan|tr|trieu)(?![a-z])"
)
_MULTIPLIER_AFTER: Final = re.compile(r"\s?(k|rb|ribu|jt|juta)(?![a-z])")
_MULTIPLIERS: Final = {
    "k": 1_000.0, "rb": 1_000.0, "ribu": 1_000.0, "nghin": 1_000.0, "ngan": 1_000.0,
    "jt": 1_000_000.0, "juta": 1_000_000.0, "tr": 1_000_000.0, "trieu": 1_000_000.0,
}


_HOST_CHARS: Final = WORD_CHARS | frozenset("-.")
_PATH_STOP: Final = frozenset(" \t\n<>\"'")


def _may_have_domain(text: str) -> bool:
    return (_DOTTED_TLD.search(text) is not None or "http" in text or "www" in text
            or _written_dot(text))


def _literal_urls(text: str, dotted_tlds: bool = True) -> list[Found]:
    """Links written with real dots: found from their top-level domain outwards, in C-speed
    steps, so ordinary prose never runs the full pattern. ``dotted_tlds`` false: the caller
    knows that none of :data:`DOTTED_TLDS` is in ``text``."""
    found: list[Found] = []
    if not dotted_tlds or "." not in text:
        return found
    end_of_last = -1
    for m in matches(_DOTTED_TLD, text):
        if m.start() < end_of_last:
            continue
        start = m.start()
        while start > 0 and text[start - 1] in _HOST_CHARS and m.start() - start < 253:
            start -= 1
        while start < m.start() and text[start] in ".-":
            start += 1
        if start == m.start() or (start > 0 and text[start - 1] == "@"):
            continue  # a bare ".com", or the domain of an e-mail address
        if text[max(0, start - 3) : start] == "://":
            scheme = start - 3
            while scheme > 0 and text[scheme - 1].isalpha() and start - scheme < 12:
                scheme -= 1
            start = scheme
        end = m.end()
        if end < len(text) and text[end] == "/":
            while end < len(text) and text[end] not in _PATH_STOP and end - m.end() < 2000:
                end += 1
        while end > m.end() and text[end - 1] in ".,;:!?)]":
            end -= 1  # sentence punctuation after a link is not part of it
        found.append(Found(start, end, text[start:end]))
        end_of_last = end
    return found


# A link with spaces around its dots, "bit . ly/x1", "tinyurl . com / x1": only with a path,
# since "ok . me too" is just loose typing.
_SPACED_URL: Final = re.compile(
    rf"(?<![a-z0-9@.\-]){_LABEL}(?: ?\. ?{_LABEL}){{0,4}} \. ?{_TLD} ?/ ?[^\s<>\"']{{1,2000}}"
)


# A link spelled out a letter at a time, "b i t . l y / x1": one-character words joined by
# single spaces, a dot, a top-level domain spelled the same way, and a path. The look-behinds
# let a match start only where such a run starts (not after another one-character word, but
# after any longer one: "visit b i t . l y"), so a long run of spaced letters is read once,
# not once from each of its letters.
_SPELLED_URL: Final = re.compile(
    r"(?<![a-z0-9])(?<![^a-z0-9][a-z0-9] )(?<!^[a-z0-9] )"
    r"((?:[a-z0-9] )+[a-z0-9]) ?\. ?((?:[a-z] )*[a-z]) ?/ ?"
    r"([^\s<>\"']{1,2000})"
)
_TLD_NAMES: Final = frozenset(_TLDS)


def _spelled_urls(text: str) -> list[Found]:
    """Links spelled out a letter at a time (:data:`_SPELLED_URL`) whose top-level domain is
    one, each with its value written as a link ("bit.ly/x1") and its span over the letters."""
    found: list[Found] = []
    for match in matches(_SPELLED_URL, text):
        host, tld = match.group(1).replace(" ", ""), match.group(2).replace(" ", "")
        if tld in _TLD_NAMES:
            found.append(Found(match.start(), match.end(), f"{host}.{tld}/{match.group(3)}"))
    return found


def matches(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """``list(pattern.finditer(text))``, found by repeated searches.

    CPython's ``finditer`` makes a scanner and looks its ``search`` method up by name on
    every call, which costs twice what one search of a message does; the checks' patterns
    mostly find nothing, so one search usually answers. After an empty match the rest is
    ``finditer``'s own (it has rules of its own for what may follow an empty match)."""
    found: list[re.Match[str]] = []
    match = pattern.search(text)
    while match is not None:
        end = match.end()
        if end == match.start():
            found.extend(pattern.finditer(text, end))
            break
        found.append(match)
        match = pattern.search(text, end)
    return found


def _found(pattern: re.Pattern[str], text: str) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in matches(pattern, text)]


def _preferring(preferred: list[Found], others: list[Found]) -> list[Found]:
    """``preferred`` and those of ``others`` that do not start inside one of them, in text
    order: where two readings of the same words overlap, the preferred one stands."""
    if not preferred:
        return others
    kept = [f for f in others if not any(p.start <= f.start < p.end for p in preferred)]
    return sorted(preferred + kept, key=lambda f: f.start)


_TLD_AFTER: Final = re.compile(rf"{_TLD}(?![a-z0-9\-])")


def _link_may_end(text: str) -> bool:
    """Whether :data:`_URL` can match at all: it needs a scheme or "www", or a dot (real,
    bracketed, or one of :data:`DOT_WORDS` between spaces) before a top-level domain. Those
    words are ordinary ones too (Vietnamese "chậm" is folded to "cham", "ponto" and "punto"
    are points), and the full pattern tries every word of the text; this looks only where
    such a word stands."""
    if ("http" in text or "www" in text or "[" in text or "(" in text or "{" in text
            or _DOTTED_TLD.search(text) is not None):
        return True
    for word in DOT_WORDS:
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if (start > 0 and text[start - 1].isspace() and end < len(text)
                    and text[end].isspace() and _TLD_AFTER.match(text, end + 1) is not None):
                return True
            start = text.find(word, start + 1)
    return False


_LABEL_CHARS: Final = WORD_CHARS | frozenset("-")
_LOCAL_CHARS: Final = WORD_CHARS | frozenset("._%+-")


def positions(text: str, needle: str) -> list[int]:
    """Every place ``needle`` begins in ``text``, overlapping ones too."""
    found: list[int] = []
    at = text.find(needle)
    while at >= 0:
        found.append(at)
        at = text.find(needle, at + 1)
    return found


def _run_starts(text: str, ends: list[int], chars: frozenset[str]) -> list[int]:
    """Where the run of ``chars`` ending at each of ``ends`` begins (the end itself when
    none does). The ends are never in ``chars``, so no character is walked over twice."""
    starts: list[int] = []
    for end in set(ends):  # a whitespace can end two needles' runs: walked once
        start = end
        while start > 0 and text[start - 1] in chars:
            start -= 1
        starts.append(start)
    return starts


def _before_each(text: str, needles: tuple[str, ...], *, itself: bool) -> list[int]:
    """The positions of ``needles`` (if ``itself``) and of a whitespace character right
    before one (where a ``\\s?`` in front of it begins)."""
    ends: list[int] = []
    for needle in needles:
        for at in positions(text, needle):
            if itself:
                ends.append(at)
            if at > 0 and text[at - 1].isspace():
                ends.append(at - 1)
    return ends


def matches_at(pattern: re.Pattern[str], text: str, starts: list[int]
               ) -> list[re.Match[str]]:
    """``matches(pattern, text)`` for a pattern that can begin a match only at ``starts``
    and never matches an empty string, tried at those places alone.

    The link, e-mail and introduction patterns begin with a look-behind or a look-ahead, so
    a search tries them at every position of the text (a 200-character message with a
    written-out dot cost 20 us for links and as much for e-mail addresses); where they can
    begin, a few substring searches tell. The matches are those of a search: tried left to
    right, a later one only after the last one's end (property tests hold the two to the
    same matches)."""
    found: list[re.Match[str]] = []
    end = 0
    for start in sorted(set(starts)):
        if start >= end:
            match = pattern.match(text, start)
            if match is not None:
                end = match.end()
                found.append(match)
    return found


def _anchored(pattern: re.Pattern[str], text: str, starts: list[int]) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in matches_at(pattern, text, starts)]


def _link_starts(text: str) -> list[int]:
    """Where :data:`_URL` can begin: at a scheme or "www.", or where a label begins that
    ends in a dot (its first label is a whole run of label characters: a label is atomic
    and neither "-" nor a label character can begin a dot)."""
    dots = positions(text, ".")
    dots += _before_each(text, ("[", "(", "{"), itself=True)
    dots += _before_each(text, DOT_WORDS, itself=False)
    return positions(text, "http") + positions(text, "www.") + _run_starts(
        text, dots, _LABEL_CHARS)


def _mailbox_starts(text: str) -> list[int]:
    """Where the e-mail patterns can begin: at the run of mailbox characters before an "@",
    a bracketed "at" or a written one (each local part is atomic and a whole run, behind a
    look-behind for the same characters)."""
    ats = _before_each(text, ("@", "[", "("), itself=True)
    ats += _before_each(text, AT_WORDS, itself=False)
    return _run_starts(text, ats, _LOCAL_CHARS)


def urls(text: str, *, dot_words: bool = True, dotted_tlds: bool = True) -> list[Found]:
    """The links in ``text``. ``dot_words`` or ``dotted_tlds`` false: the caller knows that
    no word of :data:`DOT_WORDS`, or none of :data:`DOTTED_TLDS`, is in ``text`` (the analysis
    finds them with the lexicon's terms), which spares most messages five substring searches
    and the top-level-domain pattern at each of their dots."""
    # "whatsapp dot me slash ...": in full
    if _written_dot(text, dot_words) and _link_may_end(text):
        found = [f for f in _anchored(_URL, text, _link_starts(text))
                 if not _EMAIL.fullmatch(f.value)]
    else:
        found = _literal_urls(text, dotted_tlds)
    if " ." in text:  # "bit . ly/x" reads more of the link than "ly/x" would
        found = _preferring(_found(_SPACED_URL, text), found)
        found = _preferring(_spelled_urls(text), found)
    return found


def emails(text: str, *, at_words: bool = True, providers: bool = True) -> list[Found]:
    """The e-mail addresses in ``text``. ``at_words`` or ``providers`` false: the caller
    knows that no word of :data:`AT_WORDS` stands as a word in ``text``, or that no name of
    :data:`PROVIDERS` is in it (the analysis finds them with the lexicon's terms)."""
    # "@" first, then an "at" written out: most messages have neither, and then the
    # providers' names need not be looked for.
    at_sign = "@" in text
    if not at_sign and not (at_words and ("[at]" in text or "(at)" in text or " at " in text
                                          or " arroba " in text)):
        return []
    provider = providers and any(name in text for name in PROVIDERS)
    if not at_sign and not (_may_have_domain(text) or provider):
        return []
    starts = _mailbox_starts(text)
    found = _anchored(_EMAIL, text, starts)
    if at_sign and "," in text:
        found = _preferring(found, _anchored(_SPACED_EMAIL, text, starts))
    if provider:
        found = _preferring(found, _anchored(_PROVIDER_EMAIL, text, starts))
    return found


def handles(text: str) -> list[Found]:
    if "@" not in text:
        return []
    return _found(_HANDLE, text)


def has_digit(text: str) -> bool:
    """Faster than any regex for the common case: ten substring searches in C."""
    return ("0" in text or "1" in text or "2" in text or "3" in text or "4" in text
            or "5" in text or "6" in text or "7" in text or "8" in text or "9" in text)


def _is_phone(candidate: str) -> bool:
    # Only digits (and a leading "+") reach phonenumbers: it strips the separators anyway
    # (a property test holds both forms to the same answers).
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        return False
    if candidate.startswith("+"):
        digits = "+" + digits
    return any(_possible_in(digits, region) for region in _PHONE_REGIONS)


def _possible_in(number: str, region: str) -> bool:
    """``is_possible_number(parse(number, region))`` for ASCII digits with an optional
    leading "+".

    ``parse`` spends most of its 25 us on what such a string cannot contain (RFC 3966 forms,
    extensions, letters, Unicode digits); this runs its remaining steps with phonenumbers'
    own functions and metadata, the country-code step without normalising the digits again
    (:func:`_country_code_of`): about half the instructions of the earlier 10 us. Property
    tests compare it with the public functions on random candidates, region by region; if
    a phonenumbers release renames those functions, the public path is used instead.
    """
    if _pnu is None:
        try:
            return bool(phonenumbers.is_possible_number(phonenumbers.parse(number, region)))
        except phonenumbers.NumberParseException:
            return False
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None:
        return False
    try:
        code, national = _country_code_of(number, metadata)
    except phonenumbers.NumberParseException as exc:
        if exc.error_type != _INVALID_COUNTRY_CODE or not number.startswith("+"):
            return False
        try:  # as parse does: the digits after a "+" read as a national number
            code, national = _country_code_of(number[1:], metadata)
        except phonenumbers.NumberParseException:
            return False
        if code == 0:
            return False
    if code != 0:
        number_region = phonenumbers.region_code_for_country_code(code)
        if number_region != region:
            metadata = PhoneMetadata.metadata_for_region_or_calling_code(code, number_region)
    else:
        national = number  # digits only: nothing to normalise
        code = metadata.country_code or 0  # None only in metadata without a code
    if len(national) < 2:
        return False
    _, stripped, _ = _pnu._maybe_strip_national_prefix_carrier_code(national, metadata)
    if _pnu._test_number_length(stripped, metadata) not in _NOT_STRIPPED:
        national = stripped
    if not 2 <= len(national) <= 17 or code not in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
        return False
    home = PhoneMetadata.metadata_for_region_or_calling_code(
        code, phonenumbers.region_code_for_country_code(code))
    return _pnu._test_number_length(national, home) in _POSSIBLE


def _country_code_of(number: str, metadata: Any) -> tuple[int, str]:
    """phonenumbers' ``_maybe_extract_country_code(number, metadata, False, ...)`` for ASCII
    digits with an optional leading "+", raising as it does.

    Such a string is already normalised, and normalising it again, one character at a time
    for each of the regions tried, was a third of the time a phone candidate costs (and
    candidates set the slowest messages). The steps are phonenumbers' own, in its order.
    """
    if not number:
        return 0, ""
    from_default_region = True
    full = number
    if number.startswith("+"):
        full = number[1:]
        from_default_region = False
    elif metadata.international_prefix is not None:
        idd = _idd_pattern(metadata.international_prefix).match(number)
        # An international prefix followed by a 0 is not one ("00" then "0...").
        if idd is not None and not number.startswith("0", idd.end()):
            full = number[idd.end():]
            from_default_region = False
    if not from_default_region:
        if len(full) <= _pnu._MIN_LENGTH_FOR_NSN:
            raise phonenumbers.NumberParseException(
                phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD, "too short after IDD")
        code, rest = _pnu._extract_country_code(full)
        if code != 0:
            return code, rest
        raise phonenumbers.NumberParseException(_INVALID_COUNTRY_CODE, "unknown country code")
    own_code = str(metadata.country_code)
    if full.startswith(own_code):
        general = metadata.general_desc
        _, national, _ = _pnu._maybe_strip_national_prefix_carrier_code(full[len(own_code):],
                                                                        metadata)
        if ((not _pnu._match_national_number(full, general, False)
             and _pnu._match_national_number(national, general, False))
                or _pnu._test_number_length(full, metadata) == ValidationResult.TOO_LONG):
            return metadata.country_code, national
    return 0, ""


_IDD_PATTERNS: Final[dict[str, re.Pattern[str]]] = {}


def _idd_pattern(prefix: str) -> re.Pattern[str]:
    """A region's international dialling prefix, compiled once: ``re.compile`` looks its
    own cache up in interpreted code, for every region tried on every candidate (the
    metadata of the served regions holds a handful of prefixes)."""
    pattern = _IDD_PATTERNS.get(prefix)
    if pattern is None:
        pattern = _IDD_PATTERNS[prefix] = re.compile(prefix)
    return pattern


def _phonenumbers_internals() -> Any:
    from phonenumbers import phonenumberutil

    needed = ("_maybe_strip_national_prefix_carrier_code", "_test_number_length",
              "_extract_country_code", "_match_national_number", "_MIN_LENGTH_FOR_NSN")
    return phonenumberutil if all(hasattr(phonenumberutil, n) for n in needed) else None


_pnu = _phonenumbers_internals()
_INVALID_COUNTRY_CODE: Final = phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
_NOT_STRIPPED: Final = (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
                        ValidationResult.INVALID_LENGTH)
_POSSIBLE: Final = (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)


def phone_numbers(text: str, *, spelled: bool = False) -> list[Found]:
    """Digit groups that ``phonenumbers`` accepts as possible numbers in a served market;
    with ``spelled`` (the caller knows the text holds a spelled digit, see
    :data:`DIGIT_WORDS`) also numbers with digits written as words, which stand in place of
    the digit groups inside them (:func:`spelled_phone_numbers`).

    Bank accounts and similar long digit groups are often accepted too; in a TikTok
    conversation they are contact or payment details all the same."""
    found = _digit_phone_numbers(text)
    return _preferring(spelled_phone_numbers(text), found) if spelled else found


_DIGIT_GROUPS: Callable[[str], list[tuple[int, int]]] | None = c_function(
    "mmtkit.plugins.compliance._matching", "digit_groups")
"""The spans of :data:`_DIGITS` found in C, without the regex engine's per-character set
test; None in a build without the extension, and then (or when a test sets it to None) the
pattern runs."""


def _digit_groups(text: str) -> list[tuple[int, int]]:
    in_c = _DIGIT_GROUPS
    if in_c is not None:
        return in_c(text)
    return [m.span() for m in matches(_DIGITS, text)]


def _digit_phone_numbers(text: str) -> list[Found]:
    found: list[Found] = []
    if not has_digit(text):
        return found
    for start, end in _digit_groups(text):
        if start > 0 and text[start - 1] == "+":
            start -= 1
        before = text[start - 1] if start > 0 else " "
        after = text[end] if end < len(text) else " "
        if before.isalnum() or before in "#/.,_" or after.isalnum() or after == "_":
            continue
        if _REFERENCE_CUE.search(text, max(0, start - 28), start):
            continue  # "order 5770-2219-0043", "resi: 0012 3456 7890" name what they are
        if _YEAR_RANGE.fullmatch(text, start, end):
            continue  # "fits the 2020-2024 models": eight digits, but two years
        if _is_phone(text[start:end]):
            found.append(Found(start, end, text[start:end]))
    return found


# Digits written as words, the way a number is smuggled past a digit filter ("zero eight one
# two...", "nol delapan satu...", "không chín..."), in the folded forms of the served languages.
# Words that are also everyday words ("ba", "nam", "sau", "one", "um") are harmless: a phone
# number needs eight digits or more in one run, one of them spelled at least.
_DIGIT_WORDS: dict[str, str] = {
    # English, Tagalog, Spanish, Portuguese
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9", "oh": "0", "hundred": "00",
    "sero": "0", "isa": "1", "dalawa": "2", "tatlo": "3", "apat": "4", "anim": "6",
    "pito": "7", "walo": "8", "siyam": "9",
    "cero": "0", "uno": "1", "dos": "2", "tres": "3", "cuatro": "4", "cinco": "5", "seis": "6",
    "siete": "7", "ocho": "8", "nueve": "9",
    "um": "1", "dois": "2", "quatro": "4", "sete": "7", "oito": "8", "nove": "9",
    # Indonesian and Malay
    "nol": "0", "kosong": "0", "satu": "1", "dua": "2", "tiga": "3", "empat": "4",
    "lima": "5", "enam": "6", "tujuh": "7", "delapan": "8", "lapan": "8", "sembilan": "9",
    # Vietnamese, without its marks
    "khong": "0", "mot": "1", "hai": "2", "ba": "3", "bon": "4", "nam": "5", "lam": "5",
    "sau": "6", "bay": "7", "tam": "8", "chin": "9",
    # Thai (no spaces between words, so no word boundaries either)
    "ศูนย์": "0", "หนึ่ง": "1", "สอง": "2", "สาม": "3", "สี่": "4", "ห้า": "5", "หก": "6",
    "เจ็ด": "7", "แปด": "8", "เก้า": "9",
}
# "double oh", "triple seven": the next digit, two or three times.
_REPEATS: Final = {"double": 2, "triple": 3, "dobel": 2}
_LATIN_DIGIT_WORDS: Final = prefix_alternation(
    [*(w for w in _DIGIT_WORDS if w.isascii()), *_REPEATS])
_THAI_DIGIT_WORDS: Final = "|".join(w for w in _DIGIT_WORDS if not w.isascii())
# One token: a spelled digit (Latin words whole, Thai words anywhere) or a group of digits.
_DIGIT_TOKEN: Final = re.compile(
    rf"(?<![a-z0-9])(?:{_LATIN_DIGIT_WORDS}|[0-9]{{1,15}})(?![a-z0-9])|{_THAI_DIGIT_WORDS}"
)
_TOKEN_GAP: Final = re.compile(r"[ ,.\-]{0,3}")
DIGIT_WORDS: Final = tuple(_DIGIT_WORDS)
"""The spelled digits, for a caller that can tell cheaply whether a text holds any (the
compliance matcher finds them with its lexicon terms and calls
:func:`spelled_phone_numbers` only then)."""


_LATIN_DIGIT_WORD_SET: Final = frozenset(w for w in _DIGIT_WORDS if w.isascii())
_GAP_CHARS: Final = " ,.-"
_HITS_CAPPED: Final = 64


def _is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def may_spell_a_number(text: str, spelled: list[tuple[int, int]]) -> bool:
    """Whether :func:`spelled_phone_numbers` can find anything in ``text``, given where its
    spelled digits stand (every one, as the compliance matcher finds them; it stops at 64).

    A number it accepts is a run of two tokens or more with a spelled digit (or "double",
    "triple") among them, so some spelled digit has a token beside it, a few spaces, commas,
    dots or dashes away: a digit, a Thai digit word, or another spelled digit. Most texts
    hold one spelled digit alone ("one of them", "ba", "nam"), and then the tokenising pass
    (a pattern tried at every character) is not needed."""
    if len(spelled) >= _HITS_CAPPED or any(word in text for word in _REPEATS):
        return True
    size = len(text)
    for start, end in spelled:
        after = end  # the next token starts after at most three gap characters
        while after < size and after - end < 3 and text[after] in _GAP_CHARS:
            after += 1
        if after < size and text[after] not in _GAP_CHARS:
            ch = text[after]
            if ch.isdigit() or _is_thai(ch):
                return True
            if ch in WORD_CHARS:
                word_end = after
                while word_end < size and text[word_end] in WORD_CHARS:
                    word_end += 1
                if text[after:word_end] in _LATIN_DIGIT_WORD_SET:
                    return True
        before = start  # a digit group or a Thai word ending just before
        while before > 0 and start - before < 3 and text[before - 1] in _GAP_CHARS:
            before -= 1
        if before > 0 and (text[before - 1].isdigit() or _is_thai(text[before - 1])):
            return True
    return False


def spelled_phone_numbers(text: str) -> list[Found]:
    """Phone numbers with some or all digits written as words, in any served language
    ("zero eight one two 3456 7890", "nol delapan satu dua...", "ศูนย์แปดหนึ่ง...").

    A run of digit tokens separated by at most a few spaces, commas, dots or dashes counts
    when it holds a spelled digit and ``phonenumbers`` accepts its digits (8 to 15)."""
    found: list[Found] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        if len(run) >= 2 and not all(m.group()[0].isdigit() for m in run):
            digits, times = [], 1
            for m in run:
                word = m.group()
                if word in _REPEATS:
                    times = _REPEATS[word]
                    continue
                digits.append(_DIGIT_WORDS.get(word, word) * times)
                times = 1
            if _is_phone("".join(digits)):
                start, end = run[0].start(), run[-1].end()
                found.append(Found(start, end, text[start:end]))

    for match in matches(_DIGIT_TOKEN, text):
        if run:
            gap = _TOKEN_GAP.fullmatch(text, run[-1].end(), match.start())
            if gap is None:
                close()
                run = []
        run.append(match)
    close()
    return found


def _amount(raw: str) -> float:
    """The value of a number as ``_NUMBER`` finds it: the last separator, a comma or a dot,
    is a decimal one unless three digits follow it ("1,234.5" is 1234.5, "1.234,56" is
    1234.56, "25.000" is 25000)."""
    cut = max(raw.rfind(","), raw.rfind("."))
    if cut < 0:
        return float(raw)
    head, tail = raw[:cut], raw[cut + 1:]
    if len(tail) == 3:  # a thousands separator: 25.000, 1,299
        return float(raw.replace(".", "").replace(",", ""))
    return float(head.replace(".", "").replace(",", "") + "." + tail)


def money(text: str) -> list[Money]:
    """Amounts with a currency sign, code or name (``$29.90``, ``Rp 25.000``, ``150.000đ``,
    ``250rb``, ``R$ 19,90``); thousands and decimal separators are told apart by the number
    of digits after the last separator."""
    found: list[Money] = []
    if not has_digit(text):
        return found
    for m in matches(_NUMBER, text):
        start, end = m.start(), m.end()
        if start > 0 and text[start - 1] in ".,":
            continue
        before_match = _PREFIX.search(text, max(0, start - 6), start)
        if before_match is not None and before_match.start() > 0 and (
            text[before_match.start() - 1].isalnum() and before_match.group(1).isalpha()
        ):
            before_match = None  # "farm 10" is not RM 10
        if before_match is not None:
            mult = _MULTIPLIER_AFTER.match(text, end)
            factor = _MULTIPLIERS[mult.group(1)] if mult else 1.0
            found.append(Money(before_match.start(), mult.end() if mult else end,
                               _amount(m.group()) * factor, before_match.group(1)))
            continue
        if start > 0 and text[start - 1].isalnum() and text[start - 1] < "\u0e00":
            continue  # "farm10" is not an amount; Thai glues numbers to words: "3แท่ง387บาท"
        after_match = _SUFFIX.match(text, end)
        if after_match is None:
            continue
        unit = after_match.group(1)
        value = _amount(m.group())
        if unit in ("d", "đ") and value < 1000:  # "3d2n" is a trip, not 3 dong
            continue
        currency = None if unit in _MULTIPLIERS else unit
        found.append(Money(start, after_match.end(), value * _MULTIPLIERS.get(unit, 1.0),
                           currency))
    return found


def executable_files(text: str, *, extensions: bool = True) -> list[Found]:
    """``name.apk``, ``setup.exe``, ``invoice.pdf.exe``: found from the extension backwards.
    ``extensions`` false: the caller knows that none of :data:`EXTENSION_HINTS` is in
    ``text`` (the analysis finds them with the lexicon's terms)."""
    found: list[Found] = []
    if not extensions or "." not in text:  # a substring search in C spares the regex most
        return found
    for m in matches(_EXTENSION, text):
        start = m.start()
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_-.") and (
            m.start() - start < 80
        ):
            start -= 1
        found.append(Found(start, m.end(), text[start : m.end()]))
    return found
