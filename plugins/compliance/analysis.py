"""One pass over a message that every compliance check shares.

Eleven checks look at the same outbound message. Folding the text, finding every lexicon
term (one Aho-Corasick automaton over all concepts of all languages) and cutting the text
into sentences and clauses is done once per message and cached, so adding a check costs a few
set look-ups, not another scan. Entities (links, e-mail addresses, phone numbers, amounts of
money, file names) are extracted on first use only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Final

import ahocorasick  # type: ignore[import-not-found]

from mmtkit.native import c_extension, c_function
from mmtkit.plugins.compliance import entities
from mmtkit.plugins.compliance.lexicon import Lexicon, RuleSpec, load_lexicon
from mmtkit.policy import Span
from mmtkit.textnorm import WORD_CHARS, Normalized, accents_agree, normalize
from mmtkit.trusted import assemble

__all__ = ["AT_WORD", "DOTTED_TLD", "DOT_WORD", "FILE_EXTENSION", "MAIL_PROVIDER", "NEAR_NEGATABLE",
           "NEGATION", "NEGATION_NEAR", "SPELLED_DIGIT", "SPENT_NEGATION",
           "Analysis", "Matcher", "default_matcher", "search_entries", "setting_in"]

SPELLED_DIGIT: Final = "spelled_digit"
"""Digits written as words (``entities.DIGIT_WORDS``), found with the lexicon terms so that
only texts that hold one run the spelled phone number extractor."""

DOT_WORD: Final = "dot_word"
"""The words that write a dot out (``entities.DOT_WORDS``: "whatsapp dot me"), found with the
lexicon terms anywhere in a word, so that only texts that hold one search them again for
links (:attr:`Analysis.urls`). Leetspeak changes no letter, and no character a word stands
between, so a word of the folded text the links are read from is one of the searched text
too, at the same place."""
AT_WORD: Final = "at_word"
"""An "@" written out as a word (``entities.AT_WORDS``), found as :data:`DOT_WORD` is, for
:attr:`Analysis.emails`."""
MAIL_PROVIDER: Final = "mail_provider"
"""A well-known mail provider's name (``entities.PROVIDERS``), anywhere in a word, for
:attr:`Analysis.emails`."""
DOTTED_TLD: Final = "dotted_tld"
"""A dot and a top-level domain (``entities.DOTTED_TLDS``: ".com", ".me"...), anywhere, for
:attr:`Analysis.urls`."""
FILE_EXTENSION: Final = "file_extension"
"""The start of an installer's or script's extension (``entities.EXTENSION_HINTS``: ".apk",
".exe"...), anywhere, for :attr:`Analysis.files`."""
_ENTITY_HINTS: Final = ((DOT_WORD, entities.DOT_WORDS, False), (AT_WORD, entities.AT_WORDS, True),
                        (MAIL_PROVIDER, entities.PROVIDERS, False),
                        (DOTTED_TLD, entities.DOTTED_TLDS, False),
                        (FILE_EXTENSION, entities.EXTENSION_HINTS, False))
"""The hints found with the lexicon terms: concept, words, whether each stands as a word."""

NEGATION: Final = "negation"
"""The concept whose terms cancel a following term in the same clause (``never``, ``jangan``,
``không``, ``ไม่``...), for rules that mark a concept ``negatable``."""

SPENT_NEGATION: Final = "spent_negation"
"""Phrases whose negation is spent inside them: questions that ask (Malay "boleh tak",
Indonesian "bisa gak": "can you, or not?"; "why don't you") and reminders or reassurances
("don't forget to", "jangan lupa", "don't worry"). The negation cues inside one are dropped
from the hits, so "boleh tak hantar kod OTP?" and "don't forget to send me the OTP" are the
requests they are."""

NEGATION_NEAR: Final = "negation_near"
"""Cues that cancel only a term right after them (English "no": "no joining fee", "no vapes",
but not "no problem, send me the code"), and only a charge or goods: "no X" says there is no
X, which answers "is there a fee?" or "is this sold here?" but not "does the message ask
about X?" ("confirm you have no criminal record" still asks)."""
NEAR_NEGATABLE: dict[str, int] = {
    # a charge, with one word between: "no joining fee", "no hidden charges"
    "fee": 1, "pay": 1, "extra_charge": 1, "prize_fee": 1,
    # goods, right after it: "no vapes", "no apk needed", "no replicas" (but "no
    # prescription xanax" still sells xanax)
    "drug": 0, "weapon": 0, "gambling": 0, "replica": 0, "counterfeit": 0, "installer": 0,
    "banned_goods": 0, "piracy": 0, "prohibited_product_vehicle_fraud": 0,
    # a condition of purchase, right after it: "no minimum spend", "no need to buy"
    "purchase_condition": 0,
}
"""Concepts a near cue cancels, and how many words may stand between the cue and them."""
_NEAR_REACH: Final = 16  # "no" + one word of up to 14 letters + spaces
_NEAR_LIST_REACH: Final = 48  # "no" + a short list joined by "or"

_NEGATION_REACH: Final = 80
# An accented term this short matches only with its accents: without them it is too often
# another language's everyday word (Vietnamese "bể", "vỡ", "dù" read "be", "vo", "du").
_SHORT_ACCENTED: Final = 3
# Sentence ends: . ! ? (also ideographic and full-width) before a space or the end, runs of
# ! ? new lines and semicolons, a dash with a space (not a new line) before it and a space
# after it, and brackets. Clauses also end at commas, colons and any en or em dash, and Thai
# phrases at a space between Thai letters. Each pattern starts with one character class of
# every possible first character, so the regex engine skips ordinary letters *and spaces* in
# C instead of trying each alternative at every position (a spaced dash is found from its
# dash, looking back for the space); the lookbehinds then pick the alternative in the order
# of the plain alternation (a property test holds them to it). Thai spaces are found by a
# pattern of their own, only in texts that hold Thai. A built mmtkit finds the ends of both
# patterns' matches in C (``_matching.unit_ends``, held to them by tests); they stay the
# Python path and the reference.
_SENTENCE_END: Final = re.compile(
    "[.!?\u3002\uff01\uff1f\\n;()\\[\\]\\-\u2013\u2014]"
    "(?:(?<=[.!?\u3002\uff01\uff1f])[.!?\u3002\uff01\uff1f]*(?=\\s|$)"
    "|(?<=[!?\\n;])[!?\\n;]*"
    "|(?<=[^\\S\\n][-\u2013\u2014])\\s"
    "|(?<=[()\\[\\]]))"
)
_CLAUSE_END: Final = re.compile(
    "[.!?\u3002\uff01\uff1f\\n;,:()\\[\\]\\-\u2013\u2014\u2600-\u27bf\U0001f300-\U0001faff]"
    "(?:(?<=[.!?\u3002\uff01\uff1f])[.!?\u3002\uff01\uff1f]*(?=\\s|$)"
    "|(?<=[!?\\n;,:])[!?\\n;,:]*"
    "|(?<=[^\\S\\n][-\u2013\u2014])\\s"
    "|(?<=[()\\[\\]\u2013\u2014\u2600-\u27bf\U0001f300-\U0001faff]))"
)
_THAI_SPACE: Final = re.compile("(?<=[\u0e00-\u0e7f]) +(?=[\u0e00-\u0e7f])")
_THAI: Final = re.compile("[\u0e00-\u0e7f]")


_UNIT_ENDS: Callable[[str, bool], list[int]] | None = c_function(
    "mmtkit.plugins.compliance._matching", "unit_ends")
"""The ends of :data:`_CLAUSE_END` and :data:`_SENTENCE_END` matches found in C, one pass
without the regex engine's per-character set test; None in a build without the extension,
and then (or when a test sets it to None) the patterns run."""


def _unit_ends(text: str, clauses: bool) -> list[int]:
    """Where the matches of :data:`_CLAUSE_END` (``clauses``) or :data:`_SENTENCE_END` end."""
    in_c = _UNIT_ENDS
    if in_c is not None:
        return in_c(text, clauses)
    return [m.end() for m in entities.matches(_CLAUSE_END if clauses else _SENTENCE_END, text)]


def clause_end_positions(text: str) -> list[int]:
    """Where the clauses of ``text`` end, before numbers are told apart from clauses."""
    ends = _unit_ends(text, True)
    if not text.isascii() and _THAI.search(text) is not None:
        # A space between Thai letters is never part of another boundary: merging is exact.
        ends = sorted(ends + [m.end() for m in entities.matches(_THAI_SPACE, text)])
    return ends


Range = tuple[int, int]
_Payload = tuple[str, bool, bool, int, str | None]
"""What the automaton holds for one term: concept, bounded on the left, on the right, length,
and the accented spelling it must agree with (or None)."""


_NEAR_GAP: Final = re.compile(r" (?:[a-z]+ )?")
# "no hormones or steroids", "no sugar, colouring or preservatives": a near cue also cancels
# the last item of a list joined by "or" ("nor"); commas alone do not make a list ("no
# refunds, steroids ship discreetly" still sells steroids).
_NEAR_LIST: Final = re.compile(r" (?:[a-z]+(?:, [a-z]+)* (?:or|nor) )")
# "no problem, ..." and its kin end the negation even without their comma.
_NOT_NEGATED_AFTER_NO: Final = frozenset({
    "problem", "problems", "prob", "probs", "worries", "worry", "stress", "rush", "hurry", "doubt",
    "wonder", "matter", "thanks", "sir", "maam", "dear", "pressure", "biggie",
})


def _near_cancels(text: str, end: int, start: int, words: int) -> bool:
    """Whether a near cue ending at ``end`` cancels the term starting at ``start``: nothing but
    a space between them, one word where the concept allows ``words`` (but not "no problem"
    and its kin), or a short list joined by "or"."""
    if start - end <= _NEAR_REACH:
        between = text[end:start]
        if between == " " or (words > 0 and _NEAR_GAP.fullmatch(between) is not None
                              and between.strip() not in _NOT_NEGATED_AFTER_NO):
            return True
    return start - end <= _NEAR_LIST_REACH and _NEAR_LIST.fullmatch(text, end, start) is not None


def setting_in(settings: dict[str, dict[str, Any]], category: str, key: str,
               default: Any) -> Any:
    """``settings[category][key]`` (:attr:`Matcher.settings`), or ``default``."""
    table = settings.get(category)
    return default if table is None else table.get(key, default)


def _span(start: int, end: int) -> Span:
    """``Span(start, end)`` for a range with ``end > start``, as made for every violation,
    without running the span's validator again; a negative start still goes to the class,
    which rejects it."""
    if start < 0:
        return Span(start, end)
    return assemble(Span, ("start", "end"), (start, end))


class Analysis:
    """What the checks need to know about one message, in normalised offsets."""

    def __init__(self, normalized: Normalized, hits: dict[str, list[Range]],
                 settings: dict[str, dict[str, Any]] | None = None, *,
                 hinted: bool = False) -> None:
        """``hinted``: ``hits`` come from a search that includes the entity hints
        (:data:`DOT_WORD`, :data:`DOTTED_TLD`, :data:`AT_WORD`, :data:`MAIL_PROVIDER`,
        :data:`FILE_EXTENSION`: a :class:`Matcher`'s), so
        a text without such a hit holds none of those words; hits made otherwise say nothing
        of them, and the entities are searched in full."""
        self.normalized = normalized
        self.hits = hits
        self._hinted = hinted
        self._settings = settings if settings is not None else {}
        """The lexicon settings of the matcher that made this analysis (:meth:`setting`)."""
        self.memo: dict[str, Any] = {}
        """Results derived from this analysis that every check shares (rule findings)."""
        # grouped(): by concept, then scope; one table with and one without the negated hits
        # (string keys, whose hashes str keeps: a tuple key is hashed and compared anew).
        self._groups: dict[str, dict[str, dict[int, list[Range]]]] = {}
        self._unnegated_groups: dict[str, dict[str, dict[int, list[Range]]]] = {}
        self._negated: dict[int, bool] = {}  # by start: several concepts share a hit's start
        # Computed on first use (most messages need few of them): see the properties.
        self._sentence_ends: list[int] | None = None
        self._clause_ends: list[int] | None = None
        self._urls: list[entities.Found] | None = None
        self._emails: list[entities.Found] | None = None
        self._handles: list[entities.Found] | None = None
        self._phones: list[entities.Found] | None = None
        self._money: list[entities.Money] | None = None
        self._files: list[entities.Found] | None = None

    @property
    def text(self) -> str:
        return self.normalized.text

    def setting(self, category: str, key: str, default: Any) -> Any:
        """A value of ``category``'s ``[settings]`` in the lexicons this message was
        analysed with (:attr:`Matcher.settings`), or ``default``."""
        return setting_in(self._settings, category, key, default)

    @property
    def sentence_ends(self) -> list[int]:
        if self._sentence_ends is None:
            self._sentence_ends = _unit_ends(self.text, False)
        return self._sentence_ends

    @property
    def clause_ends(self) -> list[int]:
        found = self._clause_ends
        if found is None:
            found = self._clause_ends = self._find_clause_ends()
        return found

    def _find_clause_ends(self) -> list[int]:
        # A comma or colon between digits is part of a number or a time ("₱3,999",
        # "10:30"), not the end of a clause.
        text = self.text
        size = len(text)
        return [end for end in clause_end_positions(text)
                if not (text[end - 1] in ",:" and 1 < end < size and text[end - 2].isdigit()
                        and text[end].isdigit())]

    def _ends(self, scope: str) -> list[int] | None:
        """Where the units of ``scope`` end; ``None`` for the whole message."""
        if scope == "message":
            return None
        return self.sentence_ends if scope == "sentence" else self.clause_ends

    def unit(self, scope: str, position: int) -> int:
        """Index of the sentence or clause holding ``position`` (0 for ``message``)."""
        ends = self._ends(scope)
        return 0 if ends is None else bisect_right(ends, position)

    def unit_range(self, scope: str, position: int) -> Range:
        """Where the sentence or clause holding ``position`` starts and ends (the whole text
        for ``message``)."""
        ends = self._ends(scope)
        if ends is None:
            return (0, len(self.text))
        unit = bisect_right(ends, position)
        return (ends[unit - 1] if unit > 0 else 0,
                ends[unit] if unit < len(ends) else len(self.text))

    def grouped(self, concept: str, scope: str, skip_negated: bool) -> dict[int, list[Range]]:
        """The hits of ``concept`` by sentence, clause or message (index 0), in match order,
        without the negated ones if ``skip_negated``; computed once per message, since many
        rules share their concepts. Callers must not change the result."""
        table = self._unnegated_groups if skip_negated else self._groups
        by_scope = table.get(concept)
        if by_scope is None:
            by_scope = table[concept] = {}
        groups = by_scope.get(scope)
        if groups is None:
            groups = {}
            ends = self._ends(scope)
            for hit in self.hits.get(concept, ()):
                if skip_negated and self.negated(hit, concept):
                    continue
                unit = 0 if ends is None else bisect_right(ends, hit[0])
                found = groups.get(unit)
                if found is None:
                    groups[unit] = [hit]
                else:
                    found.append(hit)
            by_scope[scope] = groups
        return groups

    def negated(self, hit: Range, concept: str | None = None) -> bool:
        """A negation cue shortly before ``hit`` in the same clause (``please never share``);
        for the concepts of :data:`NEAR_NEGATABLE` also a near cue right before it ("no
        joining fee", "no vapes")."""
        words = NEAR_NEGATABLE.get(concept) if concept is not None else None
        if words is not None and self._near_negated(hit[0], words):
            return True
        cues = self.hits.get(NEGATION)
        if not cues:
            return False
        start = hit[0]
        known = self._negated.get(start)
        if known is not None:
            return known
        # A cue counts when it starts before the hit: "never share", and also phrases that
        # contain the word they negate ("no cost", "no payment"). Clauses are only cut when
        # a cue is that close.
        near = [s for s, end in cues if s < start and start - end <= _NEGATION_REACH]
        answer = False
        if near:
            ends = self.clause_ends
            clause = bisect_right(ends, start)
            answer = any(bisect_right(ends, s) == clause for s in near)
        self._negated[start] = answer
        return answer

    def _near_negated(self, start: int, words: int) -> bool:
        cues = self.hits.get(NEGATION_NEAR)
        if not cues:
            return False
        text = self.text
        return any(s < start and _near_cancels(text, end, start, words) for s, end in cues)

    def spans(self, ranges: Iterable[Range]) -> tuple[Span, ...]:
        """Normalised ranges as spans of the original text, sorted and de-duplicated. (Not
        kept: few findings of one message point at the same ranges, and a key of ranges
        cost more to hash and store than the spans cost to make.)"""
        listed = tuple(ranges)
        normalized = self.normalized
        if len(listed) == 1:  # most findings point at one range: nothing to sort
            s, e = listed[0] if normalized.same_offsets else normalized.to_original(*listed[0])
            return (_span(s, e),) if e > s else ()
        if normalized.same_offsets:
            mapped = set(listed)
        else:
            mapped = {normalized.to_original(s, e) for s, e in listed}
        return tuple(_span(s, e) for s, e in sorted(mapped) if e > s)

    # -- entities, on first use -------------------------------------------------------------

    def _may_hold(self, hint: str) -> bool:
        """Whether the text may hold a word of the entity hint ``hint``."""
        return not self._hinted or hint in self.hits

    @property
    def urls(self) -> list[entities.Found]:
        if self._urls is None:
            self._urls = entities.urls(self.normalized.folded, dot_words=self._may_hold(DOT_WORD),
                                       dotted_tlds=self._may_hold(DOTTED_TLD))
        return self._urls

    @property
    def emails(self) -> list[entities.Found]:
        if self._emails is None:
            self._emails = entities.emails(self.normalized.folded,
                                           at_words=self._may_hold(AT_WORD),
                                           providers=self._may_hold(MAIL_PROVIDER))
        return self._emails

    @property
    def handles(self) -> list[entities.Found]:
        if self._handles is None:
            self._handles = entities.handles(self.normalized.folded)
        return self._handles

    @property
    def phones(self) -> list[entities.Found]:
        if self._phones is None:
            normalized = self.normalized
            folded = normalized.folded
            spelled = self.hits.get(SPELLED_DIGIT)
            # The spelled digits were found in ``text``: where leetspeak or spaced-out letters
            # made it differ from ``folded``, their places say nothing of the folded tokens.
            self._phones = entities.phone_numbers(folded, spelled=spelled is not None and (
                normalized.text != folded or entities.may_spell_a_number(folded, spelled)))
        return self._phones

    @property
    def money(self) -> list[entities.Money]:
        if self._money is None:
            self._money = entities.money(self.normalized.folded)
        return self._money

    @property
    def files(self) -> list[entities.Found]:
        if self._files is None:
            self._files = entities.executable_files(
                self.normalized.folded, extensions=self._may_hold(FILE_EXTENSION))
        return self._files


_Matches = Iterable[tuple[int, tuple[_Payload, ...]]]
"""What an automaton's search gives: each term found, as (index of its last character, its
payloads), by end position and, at one position, the longest first."""


def search_entries(lexicon: Lexicon, spelled_digits: bool
                   ) -> tuple[list[str], list[tuple[_Payload, ...]]]:
    """What the automaton searches for: each distinct term text, with the payloads of every
    concept it spells."""
    payloads: dict[str, list[_Payload]] = {}
    for term in lexicon.terms:
        payloads.setdefault(term.text, []).append(
            (term.concept, term.left_bound, term.right_bound, len(term.text), term.accented)
        )
    for word in entities.DIGIT_WORDS if spelled_digits else ():
        bounded = word.isascii()  # Thai words have no spaces around them
        payloads.setdefault(word, []).append((SPELLED_DIGIT, bounded, bounded, len(word), None))
    for concept, words, bounded in _ENTITY_HINTS:  # as the entities' searches find them
        for word in words:
            payloads.setdefault(word, []).append((concept, bounded, bounded, len(word), None))
    return list(payloads), [tuple(payload) for payload in payloads.values()]


_Accept = Callable[[int, int, str], bool]
_Hits = Callable[[str, "_Accept | None", int, int], dict[str, list[Range]]]
"""The C automaton's ``hits(text, accept, short_accented, limit)``: :meth:`Matcher._hits_in_python`
with the search, the word bounds and the gathering by concept done in C (see ``_matching.c``)."""

_HITS_KEPT: Final = 64
"""Ranges kept per concept: enough to decide, and it bounds the work on huge texts."""


def _search_functions(keys: list[str], values: list[tuple[_Payload, ...]]
                      ) -> tuple[Callable[[str], _Matches], _Hits | None]:
    """The search over ``keys``, and the C form of the hits loop when there is one: the C
    automaton of a built mmtkit (:mod:`mmtkit.plugins.compliance._matching`, which lays its
    nodes out for the caches), or pyahocorasick's, which finds the same matches in the same
    order."""
    native: Any = c_extension("mmtkit.plugins.compliance._matching")
    if native is not None:
        automaton = native.Automaton(keys, values)
        return automaton.find, automaton.hits
    automaton = ahocorasick.Automaton()
    for key, value in zip(keys, values, strict=True):
        automaton.add_word(key, value)
    automaton.make_automaton()
    return automaton.iter, None


class _Accents:
    """Whether the words typed where an accented term matched (in a text typed with
    non-ASCII letters) agree with the term's accents."""

    def __init__(self, normalized: Normalized) -> None:
        self.normalized = normalized

    def __call__(self, start: int, end: int, accented: str) -> bool:
        normalized = self.normalized
        s, e = (start, end) if normalized.same_offsets else normalized.to_original(start, end)
        typed = normalized.original[s:e]
        if typed.isascii():
            # typed without accents: a short term is then too often another language's
            # everyday word ("bể", broken, typed as "be" is the English word)
            return end - start > _SHORT_ACCENTED
        return typed == accented or accents_agree(typed, accented)


class Matcher:
    """The compiled lexicon: one automaton, and a cache of recent analyses."""

    def __init__(self, lexicon: Lexicon, cache_size: int = 1024, *,
                 spelled_digits: bool = True) -> None:
        """``spelled_digits``: also find the spelled digits (:data:`SPELLED_DIGIT`) that the
        phone numbers of an analysis need; a matcher whose users read no phone numbers
        (keyword signals) leaves them out."""
        self.lexicon = lexicon
        # What the Python rules read on every message, laid out once: ``Lexicon.setting`` and
        # ``Lexicon.rule`` are interpreted calls (the lexicon is an attrs class).
        # By category, then key: two look-ups of strings, whose hashes str keeps (a tuple key
        # is built and hashed on every read).
        self.settings: dict[str, dict[str, Any]] = {
            category: dict(table) for category, table in lexicon.settings.items()}
        """Every category's settings: ``settings[category][key]``."""
        self.rules_by_id: dict[str, RuleSpec] = {rule.rule_id: rule for rule in lexicon.rules}
        """Every rule by id (a later file's rule replaces an earlier one of the same id)."""
        self._search, self._hits = _search_functions(*search_entries(lexicon, spelled_digits))
        self.analyse = lru_cache(maxsize=cache_size)(self._analyse)
        from mmtkit.plugins.compliance.rules import RuleIndex  # rules imports this module

        self.outbound_rules = RuleIndex(lexicon.rules, "outbound")
        self.inbound_rules = RuleIndex(lexicon.rules, "inbound")

    def _analyse(self, text: str) -> Analysis:
        normalized = normalize(text)
        # Typed in ASCII: no accents to compare, and the short-term rule is decided alone.
        accept = None if normalized.original.isascii() else _Accents(normalized)
        hits_in_c = self._hits
        if hits_in_c is not None:
            hits = hits_in_c(normalized.text, accept, _SHORT_ACCENTED, _HITS_KEPT)
        else:
            hits = self._hits_in_python(normalized.text, accept)
        spent = hits.get(SPENT_NEGATION)
        if spent is not None:
            _drop_spent_negations(hits, spent)
        return Analysis(normalized, hits, self.settings, hinted=True)

    def _hits_in_python(self, folded: str, accept: _Accept | None) -> dict[str, list[Range]]:
        """The ranges of the terms found in ``folded`` that stand as whole words where they
        must, by concept, at most :data:`_HITS_KEPT` each, in match order; an accented term
        only where ``accept`` says the typed words agree with its accents (or, with no
        ``accept``, where it is longer than :data:`_SHORT_ACCENTED`). The C automaton's
        ``hits`` does the same."""
        size = len(folded)
        hits: dict[str, list[Range]] = {}
        word = WORD_CHARS
        matches: _Matches = self._search(folded)
        for end_index, payload in matches:  # typed: the compiled loop unboxes each field
            end = end_index + 1
            after_is_word = end < size and folded[end] in word
            for concept, left, right, length, accented in payload:
                start = end - length
                if (right and after_is_word) or (left and start > 0 and folded[start - 1] in word):
                    continue
                if accented is not None:
                    if accept is None:
                        if length <= _SHORT_ACCENTED:
                            continue  # typed in ASCII: see _Accents
                    elif not accept(start, end, accented):
                        continue
                found = hits.get(concept)
                if found is None:
                    hits[concept] = [(start, end)]
                elif len(found) < _HITS_KEPT:
                    found.append((start, end))
        return hits


def _drop_spent_negations(hits: dict[str, list[Range]], spent: list[Range]) -> None:
    """The negation cues, far or near, inside a phrase that spends them ("bisa *gak*",
    "*don't* forget", "*no* hay problema") negate nothing."""
    for concept in (NEGATION, NEGATION_NEAR):
        cues = hits.get(concept)
        if cues is None:
            continue
        kept = [cue for cue in cues
                if not any(start <= cue[0] and cue[1] <= end for start, end in spent)]
        if kept:
            hits[concept] = kept
        else:
            del hits[concept]


@lru_cache(maxsize=1)
def default_matcher() -> Matcher:
    """The matcher over the built-in lexicons and ``MMTKIT_LEXICON_PATH``, built once."""
    return Matcher(load_lexicon())
