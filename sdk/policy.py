"""Policy decisions: what a compliance check reports and how the engine turns it into a verdict.

Checks are plugins (``mmt_check_outbound`` / ``mmt_check_inbound``); they return
:class:`Violation` values and never decide alone. The :class:`PolicyEngine` collects them,
applies the operator's configuration (rules switched off, severities overridden, per channel)
and returns one :class:`Decision`. Every violation names the policy clause it enforces, so an
MMT can tell its user *why* a message was blocked.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import evolve, field, frozen, validators

from mmtkit.messages import Channel, Content, InboundEvent

if TYPE_CHECKING:
    from mmtkit.conversation import Conversation
    from mmtkit.plugin_manager import Hooks

__all__ = [
    "Action",
    "AdCreative",
    "Decision",
    "HistoryItem",
    "PolicyConfig",
    "PolicyContext",
    "PolicyEngine",
    "Severity",
    "Span",
    "Violation",
]


class Severity(enum.StrEnum):
    """How serious a violation is; the engine maps the highest one to the decision."""

    INFO = "info"
    WARN = "warn"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.BLOCK: 2}


class Action(enum.StrEnum):
    ALLOW = "allow"
    WARN = "warn"
    BLOCK = "block"


def _strings(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@frozen
class Span:
    """A matched region of the original text, by code-point offsets ``[start, end)``."""

    start: int = field(validator=validators.ge(0))
    end: int = field()

    @end.validator
    def _end_after_start(self, _: Any, value: int) -> None:
        if value < self.start:
            raise ValueError(f"span end {value} is before start {self.start}")

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


def _spans(value: Iterable[Span]) -> tuple[Span, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Violation:
    """One broken rule, explained for a business user and traceable to its policy clause."""

    rule_id: str = field(validator=validators.matches_re(r"^[a-z0-9_.\-]+$"))
    category: str
    severity: Severity = field(converter=Severity)
    explanation: str
    policy_ref: str
    """E.g. ``"TikTok Shop Customer Service Guidelines 4.2.2"``."""
    spans: tuple[Span, ...] = field(default=(), converter=_spans)
    plugin: str | None = None


def _violations(value: Iterable[Violation]) -> tuple[Violation, ...]:
    return tuple(value)


@frozen
class Decision:
    action: Action = field(converter=Action)
    violations: tuple[Violation, ...] = field(default=(), converter=_violations)

    @property
    def blocked(self) -> bool:
        return self.action is Action.BLOCK

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(v.category for v in self.violations)

    @classmethod
    def from_violations(cls, violations: Iterable[Violation]) -> Decision:
        found = tuple(violations)
        worst = max((v.severity.rank for v in found), default=0)
        action = {0: Action.ALLOW, 1: Action.WARN, 2: Action.BLOCK}[worst]
        return cls(action, found)


@frozen(kw_only=True)
class AdCreative:
    """The ad that opened the conversation, as far as the MMT knows it."""

    brand: str | None = None
    offer: str | None = None
    price: float | None = None
    currency: str | None = None
    free: bool | None = None


@frozen(kw_only=True)
class HistoryItem:
    """A recent message in the conversation, for checks that look at repetition."""

    text: str = field(repr=False)
    at: datetime
    from_business: bool = True


def _history(value: Iterable[HistoryItem]) -> tuple[HistoryItem, ...]:
    return tuple(value)


@frozen(kw_only=True)
class PolicyContext:
    """What a check may know besides the message itself."""

    channel: Channel = field(converter=Channel)
    conversation: Conversation | None = None
    ad_creative: AdCreative | None = None
    history: tuple[HistoryItem, ...] = field(default=(), converter=_history)
    locale: str | None = None
    now: datetime | None = None


@frozen(kw_only=True)
class PolicyConfig:
    """The operator's say over the checks: switch rules off, change severities, per channel.

    Rule ids and category names are both accepted as keys in ``disabled`` and
    ``severities``; a rule id wins over its category.
    """

    disabled: frozenset[str] = field(default=frozenset(), converter=_strings)
    severities: Mapping[str, Severity] = field(factory=dict)
    per_channel: Mapping[Channel, PolicyConfig] = field(factory=dict)

    def for_channel(self, channel: Channel) -> PolicyConfig:
        override = self.per_channel.get(channel)
        if override is None:
            return self
        return PolicyConfig(
            disabled=self.disabled | override.disabled,
            severities={**self.severities, **override.severities},
        )

    def apply(self, violation: Violation) -> Violation | None:
        if violation.rule_id in self.disabled or violation.category in self.disabled:
            return None
        severity = self.severities.get(violation.rule_id) or self.severities.get(
            violation.category
        )
        if severity is not None and severity is not violation.severity:
            return evolve(violation, severity=severity)
        return violation


class PolicyEngine:
    """Runs the policy hooks and applies :class:`PolicyConfig` to what they report."""

    def __init__(self, hooks: Hooks, config: PolicyConfig | None = None) -> None:
        self._hooks = hooks
        self.config = config or PolicyConfig()

    def _decide(self, found: Sequence[Violation], channel: Channel) -> Decision:
        config = self.config.for_channel(channel)
        kept = [v for v in (config.apply(v) for v in found) if v is not None]
        return Decision.from_violations(kept)

    def check_outbound(self, content: Content, context: PolicyContext) -> Decision:
        return self._decide(self._hooks.check_outbound(content, context), context.channel)

    def check_inbound(self, event: InboundEvent, context: PolicyContext) -> Decision:
        """Customer behaviour is flagged, never blocked: a BLOCK becomes a WARN here."""
        decision = self._decide(self._hooks.check_inbound(event, context), context.channel)
        if decision.blocked:
            return evolve(decision, action=Action.WARN)
        return decision
