"""Text folding in C gives exactly what textnorm's Python forms give, on any text.

``str.translate`` over textnorm's lazily filled table, the regular expression for the
characters that do not fold to one character, and the byte classes searched for ``SASAS`` and
``SASSAS`` are the reference, and what a build without a C compiler runs. The C folder
(``_folding.c``) reads untrusted text and calls back into Python to fill its cache; these tests
are its differential fuzzing (random Unicode of every width, the scripts and tricks messages
hold, texts where spaced-out letters are frequent, tables of every kind of value), the whole
of :func:`normalize` over every blind-set message, and the ways Python code can run in the
middle of a fold. ``tests/core/test_native.py`` makes sure the folder is built at all.
"""

from __future__ import annotations

import gc
import itertools
import sys
import threading
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit import textnorm
from mmtkit._folding import Folder
from mmtkit.textnorm import _BYTE_CLASSES, _TABLE, normalize


def _folder() -> Folder:
    folder = textnorm._FOLDER
    assert isinstance(folder, Folder)  # a built mmtkit folds in C
    return folder


def _python_fold(text: str) -> tuple[str, list[int] | None]:
    """What the Python form of step 1 computes: the translated text and the indices its
    regular expression finds."""
    folded = text.translate(_TABLE)
    pattern = textnorm._resizing_chars()
    starts = [] if pattern is None else [m.start() for m in pattern.finditer(text)]
    return folded, starts or None


def _python_spaced(text: str, classes: bytes = _BYTE_CLASSES) -> bool:
    found = text.encode("latin-1", "replace").translate(classes)
    return b"SASAS" in found or b"SASSAS" in found


@pytest.fixture
def python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """textnorm as a build without the C folder runs it."""
    monkeypatch.setattr(textnorm, "_FOLDER", None)


_FULL_WIDTH = "\uff37\uff48\uff41\uff54\uff53\uff21\uff50\uff50"  # WhatsApp

# What messages hold: every script the checks fold, and every trick they fold away.
_PIECES = st.sampled_from([
    "WhatsApp", "pay by TRANSFER", "p4ssw0rd", "0812 345 678", " ", "  ", "\t", ".", "-",
    "mật khẩu", "Việt Nam", "đừng", "contraseña", "ÀÉÎÕÜ", "\u00d7\u00f7\u00ff\x00\x7f",
    "รหัสผ่าน", "ค่า",
    "\u0430\u0435\u043e\u0441\u0440\u0445", "\u0410\u0415\u041e\u0421\u0420\u0425",  # Cyrillic
    "\u03b1\u03b2\u03b5\u03b9\u03ba\u03bf", "\u0391\u0392\u0395\u0399\u039a\u039f",  # Greek
    "\u200b", "\u200c\u200d", "\ufeff", "\u00ad", "\u034f", "\u2060",
    "ﬁ", "ﬂ", "ﬀ", "ß", "ẞ", "İ", "ŉ", "ǰ", "ǅ", "\u0149",
    _FULL_WIDTH, "\uff10\uff18\uff11\uff12", "㎏", "…", "½", "ⓐⓑ", "\U0001d400\U0001d41a",
    "😊", "👍🏽", "👨\u200d👩\u200d👧", "\u2019s", "\u201cok\u201d", "·", "w·h·a",
    "e\u0301", "a\u0300\u0323", "\u1ab0", "\ud800", "\udfff", "\U0010ffff", "\uffff",
])
_MESSAGES = st.lists(_PIECES | st.text(max_size=4), max_size=24).map("".join)
_ANY = (st.text(max_size=80)
        | st.text(st.characters(codec="latin-1"), max_size=80)
        | st.text(st.characters(max_codepoint=0xFFFF), max_size=80)
        | st.text(st.characters(categories=["Cs", "Co", "Cn", "Mn", "Cf"]), max_size=40)
        | _MESSAGES)
_SPACED = st.text(alphabet="a1 .-_*·xéZ?\u0100😊\u0120\u0161\u0e2e\U0001f62e", max_size=40)


@settings(max_examples=600)
@given(_ANY)
def test_c_fold_is_translate_and_finds_the_same_resizing_characters(text: str) -> None:
    assert _folder().fold(text) == _python_fold(text)


@settings(max_examples=300)
@given(_ANY)
def test_a_new_folder_folds_alike(text: str) -> None:
    """A folder with an empty cache (bar ASCII): every character is looked up now."""
    assert Folder(_TABLE, _BYTE_CLASSES).fold(text) == _python_fold(text)


@settings(max_examples=400)
@given(_ANY)
def test_fold_chars_gives_the_same_text_and_edits(text: str) -> None:
    in_c = textnorm._fold_chars(text)
    folder, textnorm._FOLDER = textnorm._FOLDER, None  # a fixture would last the whole test
    try:
        in_python = textnorm._fold_chars(text)
    finally:
        textnorm._FOLDER = folder
    assert in_c == in_python


@settings(max_examples=600)
@given(_ANY | _SPACED)
def test_maybe_spaced_is_the_python_pre_check(text: str) -> None:
    assert _folder().maybe_spaced(text) == _python_spaced(text)


@settings(max_examples=300)
@given(st.binary(min_size=256, max_size=256).map(lambda b: bytes(b"SAo?"[x % 4] for x in b)),
       _SPACED | st.text(max_size=80))
def test_maybe_spaced_follows_any_classes(classes: bytes, text: str) -> None:
    """The classes come from textnorm; the automaton must not depend on which they are."""
    assert Folder({}, classes).maybe_spaced(text) == _python_spaced(text, classes)


# Beyond Latin-1, with a separator or a letter in the low byte: read as "?", not as that byte.
_LOW_BYTES = "\u0120\u0161\u0e2e\U0001f62e"


def test_maybe_spaced_on_every_short_sequence_of_classes() -> None:
    """Every sequence of up to ten classes, each written with characters of every width: the
    automaton has eight states, so this covers each way through it."""
    written = {"S": " .-_*\u00b7", "A": "az09", "o": "xZ?\u00e9\u0100\u2019😊\ud800" + _LOW_BYTES}
    folder = _folder()
    checked = 0
    for size in range(11):
        for classes in itertools.product("SAo", repeat=size):
            text = "".join(written[c][(i + checked) % len(written[c])]
                           for i, c in enumerate(classes))
            assert folder.maybe_spaced(text) == _python_spaced(text), classes
            checked += 1
    assert checked == sum(3**n for n in range(11))


_VALUES = (st.none() | st.integers(0, 0x10FFFF)
           | st.text(st.characters(max_codepoint=0x2FF) | st.sampled_from("😊\u0e04"),
                     max_size=3))


@settings(max_examples=500)
@given(st.dictionaries(st.sampled_from([*range(0, 0x300, 7), 0x0E04, 0x1F60A, 0xD800]),
                       _VALUES, max_size=30),
       st.text(st.sampled_from([chr(c) for c in (*range(0, 0x300, 7), 0x0E04, 0x1F60A,
                                                 0xD800, 0x101)]), max_size=60))
def test_any_table_folds_as_translate_reads_it(table: dict[int, str | int | None],
                                               text: str) -> None:
    """None deletes, an int is a code point, a missing key keeps the character, ASCII
    included: what ``str.translate`` does with each."""
    folded, resized = Folder(table, _BYTE_CLASSES).fold(text)
    assert folded == text.translate(table)
    sizes = [len(c.translate(table)) for c in text]
    assert resized == ([i for i, size in enumerate(sizes) if size != 1] or None)


@pytest.mark.parametrize("table", [
    {c: chr(c).upper() for c in range(128)},  # one ASCII character each, not the lower case
    {ord("E"): "3", ord("a"): "4"},  # the others are not in the table: kept
    {ord("E"): "\u00e9"},  # beyond ASCII
    {ord("E"): None, ord("a"): "aa"},  # deleted, two characters
])
@pytest.mark.parametrize("text", ["", "Hello", "hello", "MEAN GREEN", "\x00\x7f", "A" * 1000])
def test_ascii_folds_as_any_table_says(table: dict[int, str | None], text: str) -> None:
    folded, resized = Folder(table, _BYTE_CLASSES).fold(text)
    assert folded == text.translate(table)
    assert resized == ([i for i, c in enumerate(text) if len(c.translate(table)) != 1] or None)


@pytest.mark.parametrize("text", [
    "", "a", "A", "hello", "HELLO world", "é", "ÉCOLE", "\uff21", "\U0001d400", "ß", "ﬁ",
    "\u200b", "x\u200by", "\ud800", "😊", "a" * 10_000, "Ã" * 10_000, "Ж" * 10_000,
    "😊" * 10_000, "ﬁ" * 10_000, "\u200b" * 10_000,
])
def test_texts_of_every_kind_and_size(text: str) -> None:
    assert _folder().fold(text) == _python_fold(text)
    assert _folder().maybe_spaced(text) == _python_spaced(text)


def test_what_folds_to_itself_is_not_copied() -> None:
    for text in ("already folded", "ค่า", "😊 ok"):
        assert _folder().fold(text)[0] is text

    class Sub(str):
        pass

    folded, _ = _folder().fold(Sub("plain"))
    assert type(folded) is str
    assert folded == "plain"


def test_a_megabyte_is_folded_and_checked_without_a_limit() -> None:
    text = f"w h a t s a p p · {_FULL_WIDTH} mật khẩu ﬁ\u200b😊 " * 20_000
    assert _folder().fold(text) == _python_fold(text)
    assert _folder().maybe_spaced(text) is True
    assert _folder().maybe_spaced(text.replace(" ", "")) is False


def _normalized(texts: list[str]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for text in texts:
        result = normalize(text)
        size = len(result.text)
        spans = [(0, size), (0, 0), (size, size), (size // 3, 2 * size // 3),
                 *((i, min(i + 5, size)) for i in range(0, size, 7))]
        rows.append((result.text, result.folded, result.same_offsets,
                     [result.to_original(a, b) for a, b in spans]))
    return rows


def test_normalize_is_unchanged_on_every_blind_set_message(monkeypatch: pytest.MonkeyPatch,
                                                           blind_messages: list[str]) -> None:
    """The text, its folded form and where its pieces came from, for each message as written
    and decomposed (NFD: every accent a combining mark, which folds to nothing)."""
    messages = blind_messages
    assert len(messages) > 8000
    texts = messages + [unicodedata.normalize("NFD", text) for text in messages]
    in_c = _normalized(texts)
    monkeypatch.setattr(textnorm, "_FOLDER", None)
    in_python = _normalized(texts)
    assert len(in_c) == len(in_python)
    differ = sum(c != p for c, p in zip(in_c, in_python, strict=True))
    assert differ == 0, f"{differ} of {len(texts)} messages normalise differently"
    assert sum(not row[2] for row in in_c) > 100  # offsets do move, in both alike


def test_the_python_path_can_be_chosen(python_path: None) -> None:
    assert textnorm._FOLDER is None
    assert normalize("W h a t s A p p ﬁ").text == "whatsapp fi"


# -- Python code in the middle of a fold ------------------------------------------------------


class _ReentrantTable(dict[int, str]):
    """A table whose ``__missing__`` folds another text with the same folder first: one with
    the very character being looked up (so the nested fold fills its entry before the outer
    look-up returns) and characters no page holds yet."""

    def __init__(self) -> None:
        super().__init__()
        self.folder: Folder | None = None
        self.depth = 0
        self.nested: list[tuple[str, tuple[str, list[int] | None]]] = []

    def __missing__(self, code: int) -> str:
        if self.folder is not None and self.depth == 0:
            self.depth += 1
            try:
                text = chr(code) + "".join(chr(code + 0x1000 * k) for k in range(1, 4)) + "Ab"
                self.nested.append((text, self.folder.fold(text)))
            finally:
                self.depth -= 1
        value = _fold_value(code)
        self[code] = value
        return value


def _fold_value(code: int) -> str:
    """A folded form of every length: deleted, one character, two."""
    return ("", chr(code).lower(), chr(code) * 2)[code % 3]


def test_a_fold_inside_a_look_up_gives_the_same_answers() -> None:
    table = _ReentrantTable()
    table.folder = folder = Folder(table, _BYTE_CLASSES)
    text = "".join(chr(c) for c in range(0x100, 0x4000, 37)) + "Hello"
    folded, resized = folder.fold(text)
    assert table.nested  # the nested folds ran
    assert folded == text.translate(dict(table))
    assert resized == [i for i, c in enumerate(text) if len(_fold_value(ord(c))) != 1]
    for nested_text, (nested_folded, _) in table.nested:
        assert nested_folded == nested_text.translate(dict(table))
    assert folder.fold(text) == (folded, resized)  # and from the cache alone
    del table.folder  # the cycle folder -> table -> folder, freed by the collector
    del folder, table
    gc.collect()


def test_the_value_a_nested_fold_cached_first_is_the_one_kept() -> None:
    """A table that gives a new value at each look-up (which textnorm's never does): the
    outer look-up of a character returns after a nested fold cached the character, and the
    cached value stays, for this fold and every later one; the other is released."""
    values = [f"v{n}" for n in range(4)]

    class Changing(dict[int, str]):
        folder: Folder | None = None
        calls = 0
        nested: tuple[str, list[int] | None] | None = None

        def __missing__(self, code: int) -> str:
            if code < 128:
                return chr(code)
            self.calls += 1
            call = self.calls
            if call == 1 and self.folder is not None:
                self.nested = self.folder.fold(chr(code))  # the second look-up: values[2]
            return values[call]

    table = Changing()
    table.folder = folder = Folder(table, _BYTE_CLASSES)
    counts = [sys.getrefcount(v) for v in values]
    assert folder.fold("\u00e9") == ("v2", [0])
    assert table.nested == ("v2", [0])
    assert folder.fold("\u00e9") == ("v2", [0])
    assert table.calls == 2
    assert sys.getrefcount(values[1]) == counts[1]  # the outer look-up's value, released
    table.folder = None


def test_the_last_reference_to_the_folder_can_go_during_a_fold() -> None:
    holder: dict[str, Folder] = {}

    class Dropping(dict[int, str]):
        def __missing__(self, code: int) -> str:
            if code >= 128 and holder:  # once: a full collection costs tens of ms here
                holder.clear()  # the folder's only other reference
                gc.collect()
            return chr(code).upper()

    holder["folder"] = Folder(Dropping(), _BYTE_CLASSES)
    fold = holder["folder"].fold  # the bound method: what the call itself holds
    text = "ÿ" + "".join(chr(c) for c in range(0x400, 0x2400, 41))
    resized = [i for i, c in enumerate(text) if len(c.upper()) != 1]
    assert fold(text) == ("".join(c.upper() for c in text), resized or None)
    del fold
    gc.collect()


def test_a_finaliser_that_folds_during_a_fold() -> None:
    """A look-up allocates, an allocation may run the garbage collector, and a finaliser may
    fold: with new characters, on new pages, while the outer fold holds entries."""
    table = textnorm._FoldTable()  # a new table: each character is folded in Python
    folder = Folder(table, _BYTE_CLASSES)
    done: list[tuple[str, list[int] | None]] = []
    fresh = "".join(chr(c) for c in range(0x2C00, 0x2C60))  # another page

    class Folding:
        def __del__(self) -> None:
            done.append(folder.fold(fresh + "ÀﬁB\u200b"))

    text = "".join(chr(c) for c in range(0xA640, 0xA6A0)) + "Ünïcödé ﬁ"  # Cyrillic ext.
    threshold = gc.get_threshold()
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            garbage = Folding()
            garbage.cycle = garbage  # type: ignore[attr-defined]
            del garbage
        gc.set_threshold(1)  # a collection at the fold's first allocations
        gc.enable()
        result = folder.fold(text)
    finally:
        gc.enable()
        gc.set_threshold(*threshold)
    gc.collect()
    assert done, "no finaliser ran"
    assert result == _python_fold(text)
    assert result[0] == text.translate(table)
    assert all(d == _python_fold(fresh + "ÀﬁB\u200b") for d in done)


def test_threads_that_look_up_the_same_characters_at_once() -> None:
    """``__missing__`` lets other threads run (here: it sleeps); two folds then fill the
    same entries, and the first value stays."""

    class Slow(dict[int, str]):
        def __missing__(self, code: int) -> str:
            time.sleep(0.0005)
            value = _fold_value(code)
            self[code] = value
            return value

    table = Slow()
    folder = Folder(table, _BYTE_CLASSES)
    text = "".join(chr(c) for c in range(0x3040, 0x3100))
    results: list[tuple[str, list[int] | None]] = []
    threads = [threading.Thread(target=lambda: results.append(folder.fold(text)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = text.translate(dict(table))
    assert len(results) == 4
    assert all(folded == expected for folded, _ in results)
    assert len({repr(r) for r in results}) == 1


def test_an_error_in_a_look_up_is_raised_and_not_kept() -> None:
    calls: list[int] = []

    class Failing(dict[int, str]):
        def __missing__(self, code: int) -> str:
            if code < 128:
                return chr(code)
            calls.append(code)
            if len(calls) == 1:
                raise ZeroDivisionError("the first look-up fails")
            return "x"

    folder = Folder(Failing(), _BYTE_CLASSES)
    with pytest.raises(ZeroDivisionError, match="first look-up"):
        folder.fold("aé")
    assert folder.fold("aé") == ("ax", None)
    assert calls == [0xE9, 0xE9]


@pytest.mark.parametrize(("value", "error", "message"), [
    (0x110000, ValueError, r"character mapping must be in range\(0x110000\)"),
    (-1, ValueError, r"character mapping must be in range\(0x110000\)"),
    (2**100, ValueError, r"character mapping must be in range\(0x110000\)"),
    (b"x", TypeError, "character mapping must return integer, None or str"),
    (1.5, TypeError, "character mapping must return integer, None or str"),
])
def test_a_bad_value_is_refused_as_translate_refuses_it(value: object, error: type[Exception],
                                                        message: str) -> None:
    table = {0xE9: value}
    with pytest.raises(error, match=message):
        "é".translate(table)
    with pytest.raises(error, match=message):
        Folder(table, _BYTE_CLASSES).fold("é")  # type: ignore[arg-type]


def test_a_freed_folder_releases_what_it_cached() -> None:
    value = "".join(["fol", "ded"])  # a str of its own, to count its references
    table = {0xE9: value, 0x1F60A: value}
    before = sys.getrefcount(value)
    folder = Folder(table, _BYTE_CLASSES)
    assert folder.fold("\u00e9😊\u00e9") == ("folded" * 3, [0, 1, 2])
    assert sys.getrefcount(value) == before + 2  # one entry for each character
    del folder
    assert sys.getrefcount(value) == before


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(TypeError, match="fold\\(\\) needs a str, not bytes"):
        _folder().fold(b"abc")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="maybe_spaced\\(\\) needs a str, not int"):
        _folder().maybe_spaced(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="classes must be 256 bytes, not 3"):
        Folder(_TABLE, b"SAo")
    with pytest.raises(TypeError):
        Folder(_TABLE)  # type: ignore[call-arg]
    assert Folder(_TABLE, bytearray(_BYTE_CLASSES)).maybe_spaced("a b c d") is True


def test_a_folder_cannot_be_given_another_table() -> None:
    """There is no ``__init__`` to call again: the cache always belongs to its table."""
    folder = Folder(_TABLE, _BYTE_CLASSES)
    folder.__init__({}, bytes(256))  # type: ignore[misc]
    assert folder.fold("ÉCOLE ﬁ") == _python_fold("ÉCOLE ﬁ")
    assert folder.maybe_spaced("a b c d") is True


def _python_leet(text: str, pos: int) -> int:
    hit = textnorm._MAYBE_LEET.search(text, pos)
    return -1 if hit is None else hit.start()


_LEET_ALPHABET = "az09123678$!@|A Z.é\u0131\u0669\uff11\U0001d7cf-_"


@given(st.text(_LEET_ALPHABET, max_size=40), st.integers(-5, 45))
@settings(max_examples=400)
def test_leet_hint_is_where_the_python_pattern_matches(text: str, pos: int) -> None:
    assert _folder().leet_hint(text, pos) == _python_leet(text, pos)


def test_leet_hint_on_every_short_sequence_of_classes() -> None:
    """One character of each class (a letter, each kind of digit, a symbol, an upper-case
    letter, a space, non-ASCII letters and digits), in every order up to four, from every
    position: whatever the neighbours, the answer is the pattern's."""
    for size in range(1, 5):
        for chars in itertools.product("a1" "2$A é\u0669", repeat=size):
            text = "".join(chars)
            for pos in range(-1, size + 2):
                assert _folder().leet_hint(text, pos) == _python_leet(text, pos), (text, pos)


def test_leet_hint_looks_behind_the_position_as_the_pattern_does() -> None:
    assert _folder().leet_hint("ab1x", 2) == 2  # "b1": the letter before the position counts
    assert _folder().leet_hint("a$b", 1) == 1
    assert _folder().leet_hint("a$b", 2) == -1
    long = "p4ssw0rd " * 100_000
    assert _folder().leet_hint(long, 899_990) == _python_leet(long, 899_990) == 899_992


def test_leet_hint_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError, match="leet_hint\\(\\) needs a str, not bytes"):
        _folder().leet_hint(b"a1", 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes 2 arguments"):
        _folder().leet_hint("a1")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        _folder().leet_hint("a1", "0")  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        _folder().leet_hint("a1", 10**30)
