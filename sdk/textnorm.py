"""Text normalisation for matching, with a map back to the original characters.

Compliance checks and keyword signals match lexicons against what a message *says*, not how
it is typed. People who want to slip past a filter write full-width letters, ``w h a t s a p p``,
``p4ssw0rd``, ``wh\u200batsapp`` or Cyrillic look-alikes; people who write fast drop Vietnamese
or Spanish accents. :func:`normalize` folds all of these to one form, and every position in
the folded text maps back to the original, so a violation can point at the characters the
author actually typed.

The steps, in order:

1. **Per character**: Unicode NFKC (full-width, ligatures, circled and mathematical letters),
   case folding, removal of zero-width and soft-hyphen characters, removal of combining
   accents from Latin letters (``mật khẩu`` → ``mat khau``, ``contraseña`` → ``contrasena``;
   ``đ`` → ``d``), and common Cyrillic/Greek look-alikes mapped to Latin. Thai, which has no
   spaces between words, is left as it is: Thai lexicon terms are matched as substrings.
2. **Spaces**: runs of spaces and any tab become one space (``pay  by  transfer``).
3. **De-spacing**: four or more single letters, or four or more single digits, separated by
   one or two spaces, dots, dashes, underscores or asterisks are joined (``w h a t s a p p`` →
   ``whatsapp``, ``0 8 1 2`` → ``0812``).
4. **Leetspeak**: inside a word of at least two letters, digits that stand for letters are
   replaced (``p4ssw0rd`` → ``password``, ``1d10t`` → ``idiot``), and ``$``, ``!``, ``@`` or
   ``|`` between letters read as ``s``, ``i``, ``a`` or ``l`` (``ca$h``, ``rev!ew``,
   ``wh@tsapp``, ``te|egram``; not the ``@`` of an address). Numbers, prices, ordinals and
   codes with a run of digits at either end such as ``rm10``, ``tt200`` or ``10k`` are left
   alone.

Everything runs in C-level string operations (``str.translate``, compiled regular
expressions) plus work proportional to the number of *edits*, so a megabyte of text folds in
milliseconds and no input can make it backtrack. In a build with a C compiler, step 1 and the
pre-check of step 3 run in :mod:`mmtkit._folding` instead, with the same answers (the Python
forms here are its reference, and what a build without a compiler runs).

Steps 1 to 3 are also exposed separately as :attr:`Normalized.folded` (no leetspeak), for
extractors of phone numbers, URLs and e-mail addresses, where digits must stay digits; it has
the same offsets as :attr:`Normalized.text`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from attrs import field, frozen

from mmtkit.native import c_extension
from mmtkit.trusted import assemble

if TYPE_CHECKING:
    from mmtkit._folding import Folder

__all__ = ["WORD_CHARS", "Normalized", "accent_form", "accents_agree", "normalize",
           "normalize_term"]

_ZERO_WIDTH: Final = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\ufeff"
)

# Combining marks used with Latin letters. Thai vowel and tone marks are in U+0E00-U+0E7F and
# are kept: they carry meaning, and Thai terms are matched with them.
_LATIN_MARK_RANGES: Final = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
                             (0xFE20, 0xFE2F))

# Letters without a decomposition that people read as plain Latin letters, the Cyrillic and
# Greek look-alikes most used to dodge filters (after case folding), and curly quotes.
_LOOKALIKES: Final = {  # written as escapes: the characters themselves look like Latin ones
    "\u0111": "d", "\u00f0": "d", "\u00f8": "o", "\u0142": "l", "\u0131": "i", "\u0127": "h",
    "\u0167": "t", "\u0180": "b", "\u0430": "a", "\u0432": "b", "\u0435": "e", "\u0451": "e",
    "\u043a": "k", "\u043c": "m", "\u043d": "h", "\u043e": "o", "\u0440": "p", "\u0441": "c",
    "\u0442": "t", "\u0443": "y", "\u0445": "x", "\u0455": "s", "\u0456": "i", "\u0457": "i",
    "\u0458": "j", "\u0501": "d", "\u051b": "q", "\u051d": "w", "\u0261": "g", "\u0251": "a",
    "\u0269": "i", "\u04bb": "h", "\u050d": "g", "\u057d": "u", "\u026a": "i", "\u028f": "y",
    "\u0461": "w", "\u04cf": "l", "\u03b1": "a", "\u03b2": "b", "\u03b5": "e", "\u03b7": "n",
    "\u03b9": "i", "\u03ba": "k", "\u03bd": "v", "\u03bf": "o", "\u03c1": "p", "\u03c4": "t",
    "\u03c5": "u", "\u03c7": "x", "\u03c9": "w",
    # typographic quotes and apostrophes read as the plain ones ("it\u2019s", \u201cmassager\u201d)
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
}


def _is_latin_mark(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _LATIN_MARK_RANGES)


def _fold_once(text: str) -> str:
    out: list[str] = []
    for char in unicodedata.normalize("NFKC", text).casefold():
        if char in _ZERO_WIDTH or _is_latin_mark(char):
            continue
        char = _LOOKALIKES.get(char, char)
        if not char.isascii() and char.isalpha():
            decomposed = unicodedata.normalize("NFD", char)
            base = decomposed[0]
            if base.isascii() and all(_is_latin_mark(m) for m in decomposed[1:]):
                char = base
        out.append(char)
    return "".join(out)


def _fold_char(char: str) -> str:
    """The folded form of one character; folding again changes nothing (a fixed point)."""
    folded = _fold_once(char)
    for _ in range(4):
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table filled lazily: a character is folded once, then looked up
    in C. Characters whose folded form is not exactly one character long are remembered,
    because only they move offsets.

    The table only grows, and a character's value is a function of the character alone
    (the Unicode database's): the C folder (:data:`_FOLDER`) keeps what it reads here in a
    cache of its own, which is never invalidated."""

    def __init__(self) -> None:
        super().__init__()
        self.resizing: set[str] = set()
        self.version = 0
        for code in range(128):
            self[code] = chr(code).lower()

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        self[code] = value
        if len(value) != 1:
            self.resizing.add(chr(code))
            self.version += 1
        return value


_TABLE: Final = _FoldTable()
_resizing_pattern: re.Pattern[str] | None = None
_resizing_version = -1


def _resizing_chars() -> re.Pattern[str] | None:
    global _resizing_pattern, _resizing_version
    if _resizing_version != _TABLE.version:
        chars = "".join(sorted(_TABLE.resizing))
        _resizing_pattern = re.compile(f"[{re.escape(chars)}]") if chars else None
        _resizing_version = _TABLE.version
    return _resizing_pattern


_SEPARATORS: Final = " .-_*·"
"""What may stand between the letters or digits of a spaced-out word (``w.h.a``, ``0 8 1``)."""
_SEPARATOR: Final = rf"[{re.escape(_SEPARATORS)}]"
_SEP: Final = rf"{_SEPARATOR}{{1,2}}"
WORD_CHARS: Final = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
"""The characters of a word in folded text, for every whole-word test (lexicon terms, their
bounds, leetspeak, spaced-out words): letters beyond ASCII are folded away or not words."""
# Each starts with a lookahead for its first letter (or digit) and separator, which the
# repeat implies: without it the regex engine entered the repeat, and saved its state, at
# every word of the text (about 60,000 instructions for a 100-character message).
_SPACED_LETTERS: Final = re.compile(
    rf"(?<![a-z0-9])(?=[a-z]{_SEPARATOR})(?:[a-z]{_SEP}){{3,}}[a-z](?![a-z0-9])")
_SPACED_DIGITS: Final = re.compile(
    rf"(?<![a-z0-9])(?=[0-9]{_SEPARATOR})(?:[0-9]{_SEP}){{3,}}[0-9](?![a-z0-9])")
_SEPARATOR_RUN: Final = re.compile(_SEP)
# A cheap pre-check, so the full patterns only run on the rare texts that may need them: two
# one-character words in a row between separators (the pattern in the test that holds it to
# this). Without the regex engine (which would stop at every space): each character
# becomes its class, S a separator, A a letter or digit, "o" anything else (what Latin-1
# cannot hold becomes "?", another "o"), and two substring searches look for the sequence.
_BYTE_CLASSES: Final = bytes(
    ord("S") if chr(c) in _SEPARATORS else ord("A") if chr(c) in WORD_CHARS else ord("o")
    for c in range(256))


def _c_folder() -> Folder | None:
    native: Any = c_extension("mmtkit._folding")
    if native is None:
        return None
    folder: Folder = native.Folder(_TABLE, _BYTE_CLASSES)
    return folder


_FOLDER: Folder | None = _c_folder()
"""Step 1, the spaced-out pre-check and the leetspeak pre-check in C (:mod:`mmtkit._folding`),
over :data:`_TABLE` and :data:`_BYTE_CLASSES`; None in a build without it, and then (or when a
test sets it to None) the Python forms below run."""


def _maybe_spaced(text: str) -> bool:
    """Whether two one-character words stand in a row (``w h a``, ``0.8.1``)."""
    folder = _FOLDER
    if folder is not None:
        return folder.maybe_spaced(text)
    classes = text.encode("latin-1", "replace").translate(_BYTE_CLASSES)
    return b"SASAS" in classes or b"SASSAS" in classes


_LETTERS: Final = re.compile(r"[a-z]")
# A word leetspeak may be in: letters and digits with "$", "!", "|" or "@" inside ("ca$h",
# "rev!ew", "te|egram", "wh@tsapp"; not the "@" of an address), or with a digit next to a
# letter.
# Symbols and digits are read in one pass over whole words, so normalising twice changes
# nothing; other words are not visited at all.
_LEET_WORD: Final = re.compile(
    r"(?<![a-z0-9])(?:[a-z0-9]+(?:(?:[$!|]|@(?![a-z0-9-]*\.[a-z0-9]))[a-z0-9]+)+"
    r"|[a-z0-9]*(?:[a-z][013457]|[013457][a-z])[a-z0-9]*)"
)
_LEET_CHAR: Final = re.compile(r"[013457$!@|]")
_MAYBE_LEET: Final = re.compile(  # one leading character class: the engine skips to it in C
    r"[013457$!@|](?:(?<=[a-z][013457])|(?<=[013457])(?=[a-z])|(?<=[a-z0-9][$!@|])(?=[a-z0-9]))"
)
_LEET: Final = str.maketrans("013457$!@|", "oieastsial")
_EDGE_DIGIT_RUN: Final = re.compile(r"^[0-9]{2,}|[0-9]{2,}$")
_SPACE_RUN: Final = re.compile(r"[ \t]{2,}|\t")
_ORDINAL: Final = re.compile(r"[0-9]+(?:st|nd|rd|th)")
# The decimals after a number's whole part: digits only (which leetspeak never changes, so
# normalising twice gives the same answer).
_DECIMALS: Final = re.compile(r"[.,][0-9]+(?![a-z0-9$!@|])")
# A currency glued to its amount: "rm4", "rp5", "us5", "php3".
_PRICE: Final = re.compile(r"(?:rm|rp|us|usd|php|idr|myr|thb|vnd|sgd|brl|mxn|eur|p|r|s)[0-9]+")
# A number glued to its unit is a quantity, not leetspeak: "5kg", "3xl", "7days", "5star"
# (while "0tp" and "1nstagram" are read as words).
_QUANTITY: Final = re.compile(
    r"[0-9]+(?:kg|gr|g|mg|ml|l|cm|mm|m|km|pcs|pc|xl|xxl|xxxl|xs|gb|mb|tb|mah|w|kw|v|hz|oz|lb|"
    r"lbs|ft|pm|am|h|hr|hrs|min|mins|sec|secs|s|d|day|days|star|stars|night|nights|pack|packs|"
    r"set|sets|box|boxes|yo|y|yr|yrs|year|years|month|months|week|weeks|hari|bulan|tahun|ngay|"
    r"thang|dias|anos|meses|semanas|sao|bintang|estrelas|estrellas)"
)


@frozen
class _Edits:
    """Replaced regions of one step: ``(out_start, out_end, in_start, in_end)``, sorted;
    everything between them was copied unchanged."""

    pieces: tuple[tuple[int, int, int, int], ...]
    out_starts: tuple[int, ...]

    @classmethod
    def of(cls, pieces: tuple[tuple[int, int, int, int], ...]) -> _Edits:
        # A factory, not an attrs default: the compiled build (mypyc) cannot compile an
        # attrs ``@x.default`` method.
        return cls(pieces, tuple(p[0] for p in pieces))

    def start_to_input(self, pos: int) -> int:
        i = bisect_right(self.out_starts, pos) - 1
        if i < 0:
            return pos
        _, out_end, in_start, in_end = self.pieces[i]
        if pos < out_end:
            return in_start
        return in_end + (pos - out_end)

    def end_to_input(self, pos: int) -> int:
        i = bisect_left(self.out_starts, pos) - 1
        if i < 0:
            return pos
        _, out_end, _, in_end = self.pieces[i]
        if pos <= out_end:
            return in_end
        return in_end + (pos - out_end)


class _Runs:
    """De-spaced runs of one step: ``(out_start, out_end, in_start, in_end)``, sorted. Inside
    a run the kept characters are every other token of the input; their input positions are
    found only when a span inside the run is mapped, so a megabyte of ``a a a a`` costs one
    regular-expression pass, not a Python loop."""

    def __init__(self, runs: tuple[tuple[int, int, int, int], ...], source: str) -> None:
        self.runs = runs
        self.source = source
        self.out_starts = tuple(r[0] for r in runs)
        self._positions: dict[int, list[int]] = {}

    def _kept(self, index: int) -> list[int]:
        found = self._positions.get(index)
        if found is None:
            _, _, in_start, in_end = self.runs[index]
            found = [in_start]
            found.extend(m.end() for m in _SEPARATOR_RUN.finditer(self.source, in_start, in_end))
            self._positions[index] = found
        return found

    def start_to_input(self, pos: int) -> int:
        i = bisect_right(self.out_starts, pos) - 1
        if i < 0:
            return pos
        out_start, out_end, _, in_end = self.runs[i]
        if pos < out_end:
            return self._kept(i)[pos - out_start]
        return in_end + (pos - out_end)

    def end_to_input(self, pos: int) -> int:
        i = bisect_left(self.out_starts, pos) - 1
        if i < 0:
            return pos
        out_start, out_end, _, in_end = self.runs[i]
        if pos <= out_end:
            return self._kept(i)[pos - out_start - 1] + 1
        return in_end + (pos - out_end)


@frozen
class Normalized:
    """A text folded for matching. ``text`` and ``folded`` have the same length and offsets;
    :meth:`to_original` maps a ``[start, end)`` range of them back to ``original``."""

    original: str = field(repr=False)
    text: str = field(repr=False)
    folded: str = field(repr=False)
    _steps: tuple[_Edits | _Runs, ...] = field(repr=False)

    @property
    def same_offsets(self) -> bool:
        """Nothing moved: every offset of ``text`` is the same in ``original`` (most
        messages), so ranges need no mapping."""
        return not self._steps

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The ``[start, end)`` range of the original text that produced ``text[start:end]``."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"range [{start}, {end}) is outside the normalised text")
        for step in reversed(self._steps):
            start, end = step.start_to_input(start), step.end_to_input(end)
            end = max(end, start)
        return start, end


def _fold_chars(text: str) -> tuple[str, _Edits | None]:
    folder = _FOLDER
    if folder is not None:
        folded, resized = folder.fold(text)
        return folded, None if resized is None else _resized_edits(text, resized)
    if text.isascii():
        return text.lower(), None
    folded = text.translate(_TABLE)
    pattern = _resizing_chars()
    if pattern is None or (len(folded) == len(text) and pattern.search(text) is None):
        return folded, None
    return folded, _resized_edits(text, [match.start() for match in pattern.finditer(text)])


def _resized_edits(text: str, starts: list[int]) -> _Edits:
    """The edits of step 1: each character of ``text`` at ``starts`` (in order) became its
    folded form, which is not one character long."""
    pieces: list[tuple[int, int, int, int]] = []
    delta = 0
    for start in starts:
        size = len(_TABLE[ord(text[start])])
        pieces.append((start + delta, start + delta + size, start, start + 1))
        delta += size - 1
    return _Edits.of(tuple(pieces))


def _despace(text: str) -> tuple[str, _Runs | None]:
    if not _maybe_spaced(text) and not _starts_spaced(text):
        return text, None
    matches = [*_SPACED_LETTERS.finditer(text), *_SPACED_DIGITS.finditer(text)]
    if not matches:
        return text, None
    matches.sort(key=lambda m: m.start())
    out: list[str] = []
    runs: list[tuple[int, int, int, int]] = []
    cursor = 0
    out_len = 0
    for match in matches:
        between = text[cursor : match.start()]
        joined = _SEPARATOR_RUN.sub("", match.group())
        out.append(between)
        out.append(joined)
        out_len += len(between)
        runs.append((out_len, out_len + len(joined), match.start(), match.end()))
        out_len += len(joined)
        cursor = match.end()
    out.append(text[cursor:])
    return "".join(out), _Runs(tuple(runs), text)


def _starts_spaced(text: str) -> bool:
    return len(text) > 3 and text[1] in _SEPARATORS and text[0].isalnum()


_LEET_WORD_CHARS: Final = WORD_CHARS | frozenset("$!@|")
"""Every character a :data:`_LEET_WORD` match can hold."""


def _leet_start(text: str, pos: int = 0) -> int:
    """Where the first word from ``pos`` on that leetspeak may change starts, or -1 if there
    is none.

    Such a word holds a digit that leetspeak uses next to a letter, or a symbol inside a word
    (:data:`_MAYBE_LEET`): every :data:`_LEET_WORD` match holds one, and none crosses a
    character it cannot hold, so no match starts between ``pos`` and the word."""
    folder = _FOLDER
    if folder is not None:
        start = folder.leet_hint(text, pos)  # the same answer, one switch a character, in C
        if start < 0:
            return -1
    else:
        hit = _MAYBE_LEET.search(text, pos)
        if hit is None:
            return -1
        start = hit.start()
    while start > pos and text[start - 1] in _LEET_WORD_CHARS:
        start -= 1
    return start


def _unleet(text: str) -> str:
    """``text`` with its leetspeak words read as letters (:func:`_unleet_word`).

    What ``_LEET_WORD.sub`` would give, visiting only the words that may change: from each
    such word (:func:`_leet_start`), the pattern's next match is searched; the regular
    expression is not tried at every position of the text (most messages hold one such word,
    a price or a code, if any)."""
    if not ("0" in text or "1" in text or "3" in text or "4" in text or "5" in text
            or "7" in text or "$" in text or "!" in text or "@" in text
            or "|" in text):  # C searches first
        return text
    pieces: list[str] = []
    done = 0
    start = _leet_start(text)
    while start >= 0:
        match = _LEET_WORD.search(text, start)
        if match is None:
            break
        pieces.append(text[done : match.start()])
        pieces.append(_unleet_word(match))
        done = match.end()
        start = _leet_start(text, done)
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def _unleet_word(match: re.Match[str]) -> str:
    word = match.group()
    # Codes, prices and sizes keep their digits: a run of two or more digits at either end
    # ("rm10", "tt200", "10k", "us$10"), or an ordinal. Inside a word a run is leetspeak
    # ("1d10t").
    if (_LEET_CHAR.search(word) is None or _EDGE_DIGIT_RUN.search(word)
            or _ORDINAL.fullmatch(word) or _QUANTITY.fullmatch(word)
            or _PRICE.fullmatch(word) or len(_LETTERS.findall(word)) < 2):
        return word
    if word[-1].isdigit() and _DECIMALS.match(match.string, match.end()):
        return word  # the whole part of a decimal number: "rm4.50", "p3,500"
    return word.translate(_LEET)


def _collapse_spaces(text: str) -> tuple[str, _Edits | None]:
    """Runs of spaces and any tab become one space, so phrases match however they were
    spaced ("T i k T o k  Rewards" de-spaces to "tiktok  rewards")."""
    if "  " not in text and "\t" not in text:
        return text, None
    out: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    cursor = out_len = 0
    for match in _SPACE_RUN.finditer(text):
        start, end = match.span()
        out.append(text[cursor:start])
        out_len += start - cursor
        out.append(" ")
        pieces.append((out_len, out_len + 1, start, end))
        out_len += 1
        cursor = end
    if not pieces:
        return text, None
    out.append(text[cursor:])
    return "".join(out), _Edits.of(tuple(pieces))


def normalize(text: str) -> Normalized:
    """Fold ``text`` for matching; see the module docstring for what is folded and why."""
    folded, char_edits = _fold_chars(text)
    folded, collapsed = _collapse_spaces(folded)
    folded, despaced = _despace(folded)
    steps: tuple[_Edits | _Runs, ...] = ()
    if char_edits is not None or collapsed is not None or despaced is not None:
        steps = tuple(e for e in (char_edits, collapsed, despaced) if e is not None)
    # Once per message, and Normalized has no converter or validator to run.
    return assemble(Normalized, ("original", "text", "folded", "_steps"),
                    (text, _unleet(folded), folded, steps))


def normalize_term(term: str) -> str:
    """The form a lexicon term must have to match :attr:`Normalized.text`."""
    return normalize(term).text


@lru_cache(maxsize=4096)
def _has_mark(char: str) -> bool:
    """A Latin letter with a diacritic (``ủ``, ``ñ``, ``đ``); not a look-alike from another
    script."""
    if char == "\u0111":  # đ has no decomposition
        return True
    decomposed = unicodedata.normalize("NFD", char)
    return len(decomposed) > 1 and decomposed[0].isascii() and decomposed[0].isalpha()


def _marked_form(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFC", text).casefold()
                   if ch not in _ZERO_WIDTH)


def accent_form(term: str) -> str | None:
    """The term as written, with its diacritics, when it has any and lines up letter for
    letter with :func:`normalize_term`; else ``None``.

    Folding accents away lets ``mat khau`` match ``mật khẩu``, but in Vietnamese it also
    makes words of opposite meaning one (``ngu`` stupid and ``ngủ`` sleep, ``giả`` fake and
    ``giá`` price, ``đừng`` don't and ``dùng`` use). A term written with its diacritics is
    therefore matched only where the text has the same diacritics or none
    (:func:`accents_agree`)."""
    marked = _marked_form(term)
    if not any(_has_mark(ch) for ch in marked) or len(marked) != len(normalize_term(term)):
        return None
    return marked


@lru_cache(maxsize=8192)
def accents_agree(typed: str, accented: str) -> bool:
    """``typed`` (what the author wrote where a term matched) is the term ``accented`` (its
    :func:`accent_form`) or the same words typed without accents.

    Kept per pair of spellings (about 2 µs to work out, and a Vietnamese message has a
    handful: "tiên" where the term is "tiền", "đầu" where it is "dẫu"); the pairs are the
    language's words, which messages repeat.

    Word by word: a word typed without any diacritic agrees; a word with diacritics must have
    the term's tone marks (in any place: Vietnamese writes ``xóa`` and ``xoá``) and the
    term's other marks (circumflex, breve, horn, cedilla, the stroke of ``đ``) on the same
    letters. Text that cannot be lined up letter for letter (spaced out, decomposed) is given
    the benefit of the doubt."""
    marked = _marked_form(typed)
    if len(marked) != len(accented):
        return True
    for typed_word, term_word in zip(marked.split(" "), accented.split(" "), strict=False):
        if len(typed_word) != len(term_word):
            return True
        typed_letters = [_letter_marks(ch) for ch in typed_word]
        if not any(tones or others for tones, others in typed_letters):
            continue
        term_letters = [_letter_marks(ch) for ch in term_word]
        if sorted(t for tones, _ in typed_letters for t in tones) != sorted(
            t for tones, _ in term_letters for t in tones
        ) or [o for _, o in typed_letters] != [o for _, o in term_letters]:
            return False
    return True


# Tone marks move between the vowels of a Vietnamese syllable with the spelling convention;
# the other marks belong to their letter.
_TONES: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")


@lru_cache(maxsize=4096)
def _letter_marks(char: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tone marks and the other marks of one letter."""
    if char == "\u0111":
        return (), ("\u0111",)
    marks = unicodedata.normalize("NFD", char)[1:]
    return (tuple(m for m in marks if m in _TONES),
            tuple(sorted(m for m in marks if m not in _TONES)))
