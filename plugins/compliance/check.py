"""The glue every category module shares: text in, :class:`~mmtkit.policy.Violation` out.

A category module is a plugin of its own (one entry point per category, so an operator can
switch a whole category off with ``MMTKIT_DISABLE_PLUGINS``). It builds one
:class:`CategoryCheck`, optionally with a function for the rules that need Python (links,
phone numbers, the ad creative, history), and exposes ``mmt_check_outbound``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mmtkit.messages import Content, Image, InboundEvent, MessageReceived, Text
from mmtkit.plugins.compliance.analysis import Analysis, Range, default_matcher
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext, Severity, Violation

__all__ = ["MAX_CHECKED_CHARS", "CategoryCheck", "PythonRule", "text_of", "text_of_event"]

PythonRule = Callable[[Analysis, PolicyContext], Iterable[Finding]]

MAX_CHECKED_CHARS = 8_192
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


class CategoryCheck:
    """Runs the lexicon rules of one category, plus its Python rules, on one message."""

    def __init__(self, category: str, python_rules: Iterable[PythonRule] = ()) -> None:
        self.category = category
        self.plugin = f"mmtkit.plugins.compliance.{category}"
        self._python_rules = tuple(python_rules)

    def finding(self, rule_suffix: str, ranges: Iterable[Range]) -> Finding:
        """A finding of one of this category's ``python = true`` rules."""
        rule = default_matcher().lexicon.rule(f"{self.category}.{rule_suffix}")
        return Finding(rule, tuple(ranges))

    def findings(self, text: str, context: PolicyContext, *, inbound: bool = False
                 ) -> list[Finding]:
        return self._findings(default_matcher().analyse(text), context, inbound)

    def _findings(self, analysis: Analysis, context: PolicyContext, inbound: bool
                  ) -> list[Finding]:
        # This runs eleven times per message (once per category plugin): it only looks up
        # what the shared rule index computed once for the message.
        direction = "inbound" if inbound else "outbound"
        by_category = analysis.memo.get(direction)
        if by_category is None:
            matcher = default_matcher()
            index = matcher.inbound_rules if inbound else matcher.outbound_rules
            by_category = index.findings(analysis)
        mine = by_category.get(self.category)
        if not mine and (inbound or not self._python_rules):
            return []
        channel = context.channel  # a StrEnum: compares and hashes as its wire name
        found = [f for f in mine if f.rule.channels is None or channel in f.rule.channels
                 ] if mine else []
        if inbound:
            return found
        for python_rule in self._python_rules:
            for finding in python_rule(analysis, context):
                rule = finding.rule
                if rule.channels is None or channel in rule.channels:
                    found.append(finding)
        return found

    def violations(self, text: str | None, context: PolicyContext, *, inbound: bool = False
                   ) -> list[Violation]:
        if not text:
            return []
        if len(text) > MAX_CHECKED_CHARS:
            return [self._oversize(len(text), inbound=inbound)]
        return self._violations(default_matcher().analyse(text), context, inbound=inbound)

    def _violations(self, analysis: Analysis, context: PolicyContext, *, inbound: bool
                    ) -> list[Violation]:
        found = self._findings(analysis, context, inbound)
        if not found:
            return []
        return [
            Violation(
                rule_id=f.rule.rule_id,
                category=f.rule.category,
                severity=f.rule.severity,
                explanation=f.rule.explanation,
                policy_ref=f.rule.policy,
                spans=analysis.spans(f.ranges),
                plugin=self.plugin,
            )
            for f in found
        ]

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

    def outbound(self, content: Content, context: PolicyContext) -> list[Violation]:
        text = content.body if type(content) is Text else text_of(content)
        if not text or len(text) > MAX_CHECKED_CHARS:
            return self.violations(text, context)
        # The hot path, eleven times per message: one cached look-up of the shared analysis
        # and of the findings every lexicon rule produced for it.
        analysis = default_matcher().analyse(text)
        by_category = analysis.memo.get("outbound")
        if by_category is not None and self.category not in by_category and (
            not self._python_rules
        ):
            return []
        return self._violations(analysis, context, inbound=False)

    def inbound(self, event: InboundEvent, context: PolicyContext) -> list[Violation]:
        """Customer behaviour a seller may report (Shop guidelines 5.3); the engine never
        blocks on these, it flags and labels."""
        return self.violations(text_of_event(event), context, inbound=True)
