"""The glue every category module shares: text in, :class:`~mmtkit.policy.Violation` out.

A category module is a plugin of its own (one entry point per category, so an operator can
switch a whole category off with ``MMTKIT_DISABLE_PLUGINS``). It builds one
:class:`CategoryCheck`, optionally with a function for the rules that need Python (links,
phone numbers, the ad creative, history), and exposes ``mmt_check_outbound``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from mmtkit.messages import Channel, Content, Image, InboundEvent, MessageReceived, Text
from mmtkit.plugins.compliance.analysis import Analysis, Range, default_matcher, setting_in
from mmtkit.plugins.compliance.lexicon import RuleSpec
from mmtkit.plugins.compliance.rules import Finding, new_finding, silenced
from mmtkit.policy import PolicyContext, Severity, Span, Violation
from mmtkit.trusted import assemble

__all__ = ["MAX_CHECKED_CHARS", "CategoryCheck", "PythonRule", "finding", "setting", "text_of",
           "text_of_event"]

PythonRule = Callable[[Analysis, PolicyContext], Iterable[Finding]]
"""A rule that needs Python: the findings on one message in one context (a list is cheapest:
the built-in rules return one, empty when nothing fired)."""

MAX_CHECKED_CHARS: Final = 8_192
"""Longer texts are not analysed: no channel accepts them (TikTok 6,000, WhatsApp 4,096,
Messenger 2,000 characters), and refusing them keeps the worst case of a check bounded
(a megabyte of adversarial text cannot tie up a worker). Such a text is blocked, not passed:
every category reports ``<category>.unchecked_oversize``."""


def text_of(content: Content) -> str | None:
    """The words of an outbound message a check can read: a text body or an image caption."""
    if isinstance(content, Text):
        return content.body
    if isinstance(content, Image):
        return content.caption
    return None


def text_of_event(event: InboundEvent) -> str | None:
    return event.text if isinstance(event, MessageReceived) else None


def finding(rule_id: str, ranges: Iterable[Range]) -> Finding:
    """A finding of the ``python = true`` rule ``rule_id``, as declared in the lexicons."""
    matcher = default_matcher()
    rule = matcher.rules_by_id.get(rule_id)
    if rule is None:
        rule = matcher.lexicon.rule(rule_id)  # its error names the lexicon files
    return new_finding(rule, tuple(ranges))


def setting(category: str, key: str, default: Any) -> Any:
    """A value of ``category``'s ``[settings]`` table in the lexicons, or ``default``
    (``Lexicon.setting``, without an interpreted call; a rule holding an analysis asks
    :meth:`Analysis.setting <mmtkit.plugins.compliance.analysis.Analysis.setting>`)."""
    return setting_in(default_matcher().settings, category, key, default)


_CHECKS: dict[str, CategoryCheck] = {}
"""The category checks of this process, by category (a check created again, as by a module
reload, replaces the earlier one): one run over a message serves them all."""

_SLOTS: dict[str, int] = {}
"""Each category's place in the shares of an outbound run (:class:`_Latest`), given when its
first check is created and kept: the ten categories called after the first pick their share
by index, where a dictionary look-up each cost about 1% of the checks' instructions."""


class CategoryCheck:
    """One category's share of the compliance run: its lexicon rules and its Python rules.

    Eleven category plugins are called for every outbound message. The first call runs every
    category's rules at once over the shared :class:`Analysis` (one pass: the lexicon rule
    index, then each category's Python rules) and keeps the violations on the analysis, for
    this exact :class:`~mmtkit.policy.PolicyContext`; the other ten calls only pick their
    category's share. A different context (another channel, ad or history) gets its own run.
    """

    def __init__(self, category: str, python_rules: Iterable[PythonRule] = ()) -> None:
        self.category = category
        self.plugin = f"mmtkit.plugins.compliance.{category}"
        self._python_rules = tuple(python_rules)
        self._slot = _SLOTS.setdefault(category, len(_SLOTS))
        _CHECKS[category] = self

    def finding(self, rule_suffix: str, ranges: Iterable[Range]) -> Finding:
        """A finding of one of this category's ``python = true`` rules."""
        return finding(f"{self.category}.{rule_suffix}", ranges)

    def findings(self, text: str, context: PolicyContext, *, inbound: bool = False
                 ) -> list[Finding]:
        """This category's findings on ``text`` (for tools and tests that want the rules
        before they become violations)."""
        analysis = default_matcher().analyse(text)
        found = _lexicon_findings(analysis, context, inbound).get(self.category, [])
        if inbound:
            return found
        return found + self._python_findings(analysis, context, context.channel)

    def _python_findings(self, analysis: Analysis, context: PolicyContext, channel: Channel
                         ) -> list[Finding]:
        """``channel`` is ``context.channel``, read once by the caller for every category (a
        StrEnum: compares and hashes as its wire name)."""
        hits = analysis.hits
        kept: list[Finding] = []
        for python_rule in self._python_rules:
            found = python_rule(analysis, context)
            if not found:
                continue  # most rules on most messages: an empty list, not worth an iterator
            for finding in found:
                channels = finding.rule.channels
                if (channels is None or channel in channels) and not silenced(finding.rule, hits):
                    kept.append(finding)
        return kept

    def violations(self, text: str | None, context: PolicyContext, *, inbound: bool = False
                   ) -> list[Violation]:
        if not text:
            return []
        if len(text) > MAX_CHECKED_CHARS:
            return [self._oversize(len(text), inbound=inbound)]
        mine = _run_on(text, context, inbound).get(self.category)
        return list(mine) if mine else []

    def _oversize(self, size: int, *, inbound: bool) -> Violation:
        return Violation(
            rule_id=f"{self.category}.unchecked_oversize",
            category=self.category,
            severity=Severity.WARN if inbound else Severity.BLOCK,
            explanation=(
                f"The message has {size:,} characters, more than the {MAX_CHECKED_CHARS:,} this "
                "check reads and more than any channel accepts; it was not checked."
            ),
            policy_ref=(
                "Channel text limits (TikTok 6,000; WhatsApp 4,096; Messenger 2,000 characters)"
            ),
            plugin=self.plugin,
        )

    def outbound(self, content: Content, context: PolicyContext) -> tuple[Violation, ...]:
        """This category's violations: the run's own tuple (immutable, so shared with the
        run kept for the other categories), empty for most categories on most messages."""
        # The engine calls every category with the same two objects in a row: after the
        # first, the others find the whole run here by identity (no hashing of the text).
        last = _LATEST.run
        slot = self._slot
        if last[0] is content and last[1] is context:
            shares = last[2]
            return shares[slot] if slot < len(shares) else ()
        text = content.body if type(content) is Text else text_of(content)
        if not text or len(text) > MAX_CHECKED_CHARS:
            return tuple(self.violations(text, context))
        shares = _shares(_run_on(text, context, inbound=False))
        _LATEST.run = (content, context, shares)
        return shares[slot]

    def inbound(self, event: InboundEvent, context: PolicyContext) -> list[Violation]:
        """Customer behaviour a seller may report (Shop guidelines 5.3); the engine never
        blocks on these, it flags and labels."""
        return self.violations(text_of_event(event), context, inbound=True)


_SUBSUMED: Final = "unsolicited_marketing"
"""The category reported only when no other category is."""
_OUTBOUND: Final = "run:outbound"
_INBOUND: Final = "run:inbound"


class _Latest:
    """The latest outbound run and the content and context it was for. Content and context are
    immutable, and holding them keeps their identities from being reused. The three are one
    tuple, replaced whole: another thread at worst replaces it and causes one more look-up
    through the analysis cache, never a run paired with another message. (An attribute of
    a compiled object, where a module global is a dictionary look-up per category.)"""

    def __init__(self) -> None:
        self.run: tuple[object, object, list[tuple[Violation, ...]]] = (None, None, [])


_LATEST: Final = _Latest()


def _shares(run: dict[str, tuple[Violation, ...]]) -> list[tuple[Violation, ...]]:
    """A run's violations by category slot (:data:`_SLOTS`), empty where it has none."""
    shares: list[tuple[Violation, ...]] = [()] * len(_SLOTS)
    for category, found in run.items():
        shares[_SLOTS[category]] = found  # a run holds only categories with a check
    return shares


def _run_on(text: str, context: PolicyContext, inbound: bool
            ) -> dict[str, tuple[Violation, ...]]:
    """Every category's violations on ``text`` in ``context``, kept on the shared analysis for
    the next category plugin asking about the same context."""
    analysis = default_matcher().analyse(text)
    key = _INBOUND if inbound else _OUTBOUND
    run = analysis.memo.get(key)
    if run is None or run[0] is not context:
        run = (context, _run(analysis, context, inbound))
        analysis.memo[key] = run
    return run[1]


def _lexicon_findings(analysis: Analysis, context: PolicyContext, inbound: bool
                      ) -> dict[str, list[Finding]]:
    matcher = default_matcher()
    index = matcher.inbound_rules if inbound else matcher.outbound_rules
    channel = context.channel
    return {
        category: kept
        for category, found in index.findings(analysis).items()
        if (kept := [f for f in found if f.rule.channels is None or channel in f.rule.channels])
    }


def _run(analysis: Analysis, context: PolicyContext, inbound: bool
         ) -> dict[str, tuple[Violation, ...]]:
    """Every registered category's violations on one message in one context. Python rules
    judge what the business sends, so they run outbound only."""
    by_category = _lexicon_findings(analysis, context, inbound)
    if not inbound:
        channel = context.channel
        for check in _CHECKS.values():
            if check._python_rules:
                extra = check._python_findings(analysis, context, channel)
                if extra:
                    by_category[check.category] = by_category.get(check.category, []) + extra
    if len(by_category) > 1 and _SUBSUMED in by_category and any(
            category in _CHECKS for category in by_category if category != _SUBSUMED):
        # A promotion is only reported on a message that breaks no other rule: a message
        # already held for fraud, diversion or a bribe gains nothing from a marketing
        # warning, and the corpora never label the two together.
        del by_category[_SUBSUMED]
    result: dict[str, tuple[Violation, ...]] = {}
    for category, found in by_category.items():
        owner = _CHECKS.get(category)
        if owner is None:
            continue  # rules of a category whose plugin is not loaded
        plugin = owner.plugin
        result[category] = tuple(_violation(f.rule, analysis.spans(f.ranges), plugin)
                                 for f in found)
    return result


_VIOLATION_SLOTS: Final = ("rule_id", "category", "severity", "explanation", "policy_ref",
                           "plugin", "spans")
_MADE: dict[str, tuple[RuleSpec, tuple[object, ...]]] = {}
"""By rule id: the rule whose violation :class:`Violation` itself last made, and so validated,
with that violation's values but its spans (the last of them its plugin)."""


def _violation(rule: RuleSpec, spans: tuple[Span, ...], plugin: str) -> Violation:
    """The violation of a rule that fired on a message.

    The first for a rule (and plugin) is made by the class, which validates it; its
    converters return a rule's severity (a :class:`Severity` already) and the spans (a tuple)
    as they are, so the later ones take its values and only add their spans. The same rule
    object is required, not only its id: a lexicon read again makes new rules."""
    made = _MADE.get(rule.rule_id)
    if made is not None and made[0] is rule and made[1][-1] is plugin:
        return assemble(Violation, _VIOLATION_SLOTS, made[1] + (spans,))
    violation = Violation(rule_id=rule.rule_id, category=rule.category, severity=rule.severity,
                          explanation=rule.explanation, policy_ref=rule.policy, spans=spans,
                          plugin=plugin)
    _MADE[rule.rule_id] = (rule, (violation.rule_id, violation.category, violation.severity,
                                  violation.explanation, violation.policy_ref, plugin))
    return violation
