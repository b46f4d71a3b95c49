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

import phonenumbers
from attrs import frozen

__all__ = ["Found", "Money", "emails", "executable_files", "handles", "money", "phone_numbers",
           "urls"]


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


_DOT = r"(?:\.|\s?[\[(]\s?dot\s?[\])]\s?|\s(?:dot|titik|cham|ponto|punto)\s)"
_AT = r"(?:@|\s?[\[(]\s?at\s?[\])]\s?|\s(?:at|arroba)\s)"
_SLASH = r"(?:/|\s(?:slash|garis miring)\s)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# Top-level domains people actually send in chats, plus the link shorteners' ones.
_TLD = (
    r"(?:com|net|org|info|biz|io|co|me|ly|at|id|my|vn|th|ph|sg|br|mx|es|pt|link|site|online|"
    r"shop|store|xyz|app|page|club|top|cc|to|gl|gd|in|us|uk|ru|cn|tk|ml|ga|cf|gq|icu|live|"
    r"vip|win|bet|click|asia|one|pro|fun|ws|tv|is|im|su|la|kr|jp|hk|tw|au|nz)"
)
_URL = re.compile(
    rf"(?:https?://|www\.)[^\s<>\"']{{1,2000}}"
    rf"|(?<![a-z0-9@.\-]){_LABEL}(?:{_DOT}{_LABEL}){{0,5}}{_DOT}{_TLD}(?![a-z0-9\-])"
    rf"(?:{_SLASH}[^\s<>\"']{{0,2000}})?"
)
_EMAIL = re.compile(
    rf"(?<![a-z0-9._%+\-])[a-z0-9._%+\-]{{1,64}}{_AT}{_LABEL}(?:{_DOT}{_LABEL}){{0,4}}{_DOT}"
    rf"[a-z]{{2,12}}(?![a-z0-9])"
)
_HANDLE = re.compile(r"(?<![a-z0-9._%+\-])@[a-z0-9_][a-z0-9_.]{2,30}")
_PHONE_CANDIDATE = re.compile(r"(?<![\w#/.,])\+?\(?\d[\d ().\-]{6,22}\d(?![\w])")
_PHONE_REGIONS = ("ID", "MY", "VN", "TH", "PH", "SG", "BR", "MX", "ES", "PT", "US", "GB")

_CURRENCY_BEFORE = (
    r"(?P<pre>us\$|r\$|s\$|rm|rp|usd|php|mxn|idr|myr|vnd|brl|sgd|thb|eur|₱|\$|€|£|฿|₫)"
)
_CURRENCY_AFTER = (
    r"(?P<post>₫|đ|d|vnd|dong|baht|บาท|pesos?|reais|real|ringgit|rupiah|usd|mxn|idr|myr|thb|"
    r"php|brl|k|rb|ribu|jt|juta|nghin|ngan|tr|trieu)"
)
_AMOUNT = r"(?P<num>\d{1,3}(?:[.,]\d{3}){1,4}(?:[.,]\d{1,2})?|\d{1,9}(?:[.,]\d{1,2})?)"
_MONEY_BEFORE = re.compile(
    rf"(?<![\w.]){_CURRENCY_BEFORE}\s?{_AMOUNT}(?:\s?(?P<mult>k|rb|ribu|jt|juta)(?![a-z]))?"
)
_MONEY_AFTER = re.compile(rf"(?<![\w.,]){_AMOUNT}\s?{_CURRENCY_AFTER}(?![a-z])")
_MULTIPLIERS = {"k": 1_000.0, "rb": 1_000.0, "ribu": 1_000.0, "nghin": 1_000.0, "ngan": 1_000.0,
                "jt": 1_000_000.0, "juta": 1_000_000.0, "tr": 1_000_000.0, "trieu": 1_000_000.0}
_EXECUTABLE = re.compile(
    r"(?<![a-z0-9])[\w\-.]{0,80}\.(?:apk|xapk|exe|scr|msi|bat|cmd|vbs|jar|ps1|dmg|pkg|ipa)"
    r"(?![a-z0-9])"
)


def urls(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in _URL.finditer(text)
            if not _EMAIL.fullmatch(m.group())]


def emails(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text)]


def handles(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in _HANDLE.finditer(text)]


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not 8 <= digits <= 15:
        return False
    for region in _PHONE_REGIONS:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


def phone_numbers(text: str) -> list[Found]:
    """Digit groups that ``phonenumbers`` accepts as possible numbers in a served market.

    Bank accounts and similar long digit groups are often accepted too; in a TikTok
    conversation they are contact or payment details all the same."""
    return [Found(m.start(), m.end(), m.group()) for m in _PHONE_CANDIDATE.finditer(text)
            if _is_phone(m.group())]


def _amount(raw: str) -> float:
    head, sep, tail = raw.rpartition(",") if "," in raw else raw.rpartition(".")
    if not sep:
        return float(raw)
    if len(tail) == 3:  # a thousands separator: 25.000, 1,299
        return float(re.sub(r"[.,]", "", raw))
    return float(re.sub(r"[.,]", "", head) + "." + tail)


def money(text: str) -> list[Money]:
    """Amounts with a currency sign, code or name (``$29.90``, ``Rp 25.000``, ``150.000đ``,
    ``250rb``, ``R$ 19,90``); thousands and decimal separators are told apart by the number
    of digits after the last separator."""
    found: list[Money] = []
    for m in _MONEY_BEFORE.finditer(text):
        value = _amount(m.group("num")) * _MULTIPLIERS.get(m.group("mult") or "", 1.0)
        found.append(Money(m.start(), m.end(), value, m.group("pre")))
    taken = {(m.start, m.end) for m in found}
    for m in _MONEY_AFTER.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue
        unit = m.group("post")
        value = _amount(m.group("num"))
        if unit in ("d", "đ") and value < 1000:  # "3d2n" is a trip, not 3 dong
            continue
        currency = None if unit in _MULTIPLIERS else unit
        found.append(Money(m.start(), m.end(), value * _MULTIPLIERS.get(unit, 1.0), currency))
    return sorted(found, key=lambda m: m.start)


def executable_files(text: str) -> list[Found]:
    return [Found(m.start(), m.end(), m.group()) for m in _EXECUTABLE.finditer(text)]
