"""Policy decisions: what a compliance check reports and how the engine turns it into a verdict.

Checks are plugins (``mmt_check_outbound`` / ``mmt_check_inbound``); they return
:class:`Violation` values and never decide alone. The :class:`PolicyEngine` collects them,
applies the operator's configuration (rules switched off, severities overridden, per channel)
and returns one :class:`Decision`. Every violation names the policy clause it enforces, so an
MMT can tell its user *why* a message was blocked.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import evolve, field, frozen

from mmtkit.messages import Channel, Content, InboundEvent
from mmtkit.trusted import assemble

if TYPE_CHECKING:
    from mmtkit.conversation import Conversation
    from mmtkit.plugin_manager import Hooks

__all__ = [
    "Action",
    "AdCreative",
    "AuditRecord",
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


def _check_span(span: Span, _: Any, end: int) -> None:
    # One plain function for both bounds: every violation carries spans, and attrs' validator
    # objects cost several times as much per call.
    if span.start < 0:
        raise ValueError(f"span start must be >= 0, got {span.start}")
    if end < span.start:
        raise ValueError(f"span end {end} is before start {span.start}")


@frozen
class Span:
    """A matched region of the original text, by code-point offsets ``[start, end)``."""

    start: int
    end: int = field(validator=_check_span)

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]


def _spans(value: Iterable[Span]) -> tuple[Span, ...]:
    return tuple(value)


_RULE_ID = re.compile(r"[a-z0-9_.\-]+")


_VALID_RULE_IDS: set[str] = set()
"""Rule ids already checked: plugins report the same few ids over and over."""


def _check_rule_id(_: Any, __: Any, value: str) -> None:
    if type(value) is not str:
        raise ValueError(f"rule_id must be a string; got {value!r}")
    if value in _VALID_RULE_IDS:
        return
    if _RULE_ID.fullmatch(value) is None:
        raise ValueError(
            f"rule_id must be lower-case letters, digits, '_', '.' or '-'; got {value!r}"
        )
    if len(_VALID_RULE_IDS) < 4096:  # bounded, whatever ids a plugin makes up
        _VALID_RULE_IDS.add(value)


def _severity(value: Severity | str) -> Severity:
    return value if type(value) is Severity else Severity(value)


@frozen(kw_only=True)
class Violation:
    """One broken rule, explained for a business user and traceable to its policy clause."""

    rule_id: str = field(validator=_check_rule_id)
    category: str
    severity: Severity = field(converter=_severity)
    explanation: str
    policy_ref: str
    """E.g. ``"TikTok Shop Customer Service Guidelines 4.2.2"``."""
    spans: tuple[Span, ...] = field(default=(), converter=_spans)
    plugin: str | None = None


def _violations(value: Iterable[Violation]) -> tuple[Violation, ...]:
    return tuple(value)


def _action(value: Action | str) -> Action:
    return value if type(value) is Action else Action(value)


@frozen
class Decision:
    action: Action = field(converter=_action)
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
        if not found and cls is Decision:
            return _ALLOWED  # most messages: one shared, immutable decision
        # One plain loop with identity tests: an enum member's hash is a Python-level call,
        # and a generator per severity cost more than the rest of the decision.
        block, warn = Severity.BLOCK, Severity.WARN
        action = Action.ALLOW
        for violation in found:
            severity = violation.severity
            if severity is block:
                action = Action.BLOCK
                break
            if severity is warn:
                action = Action.WARN
        if cls is not Decision:
            return cls(action, found)
        # An Action member and a tuple: the converters would return them as they are.
        return assemble(Decision, ("action", "violations"), (action, found))


_ALLOWED = Decision(Action.ALLOW)


@frozen(kw_only=True)
class AuditRecord:
    """What an audit log keeps of one decision: rule ids, categories, the plugins and their
    versions, and where each match was — offsets only, never the matched text, so a log
    cannot leak a message body or a secret the customer typed."""

    action: Action = field(converter=Action)
    channel: Channel = field(converter=Channel)
    rule_ids: tuple[str, ...]
    categories: tuple[str, ...]
    plugins: Mapping[str, str | None]
    """Plugin name (as in ``Violation.plugin``) to its distribution version, when known."""
    spans: tuple[tuple[str, int, int], ...]
    """``(rule_id, start, end)`` per matched span, in code points of the original text."""
    dry_run: bool = False
    at: datetime | None = None

    @classmethod
    def from_decision(
        cls,
        decision: Decision,
        context: PolicyContext,
        *,
        versions: Mapping[str, str | None] | None = None,
        dry_run: bool = False,
    ) -> AuditRecord:
        """``versions`` maps plugin names to versions, e.g. from ``PluginManager.info()``."""
        known = versions or {}
        plugins = {v.plugin: known.get(v.plugin) for v in decision.violations if v.plugin}
        return cls(
            action=decision.action,
            channel=context.channel,
            rule_ids=tuple(v.rule_id for v in decision.violations),
            categories=tuple(sorted(decision.categories)),
            plugins=plugins,
            spans=tuple((v.rule_id, s.start, s.end) for v in decision.violations for s in v.spans),
            dry_run=dry_run,
            at=context.now,
        )

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form for structured logging."""
        return {
            "action": self.action.value,
            "channel": self.channel.value,
            "rule_ids": list(self.rule_ids),
            "categories": list(self.categories),
            "plugins": dict(self.plugins),
            "spans": [{"rule_id": r, "start": s, "end": e} for r, s, e in self.spans],
            "dry_run": self.dry_run,
            "at": self.at.isoformat() if self.at else None,
        }


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

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, where: str = "policy") -> PolicyConfig:
        """Build a configuration from a plain mapping (a ``[policy]`` TOML table, JSON...)::

            disabled = ["unsolicited_marketing", "harassment.insult"]
            [severities]
            creative_mismatch = "warn"
            [channels.whatsapp]
            disabled = ["off_platform_diversion"]

        Unknown keys, channels and severities raise :class:`~mmtkit.errors.ConfigError`
        naming the key, so a typo never silently leaves a rule on.
        """
        from mmtkit.errors import ConfigError

        known = {"disabled", "severities", "channels"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        disabled = data.get("disabled", [])
        if not isinstance(disabled, list | tuple) or not all(isinstance(d, str) for d in disabled):
            raise ConfigError(f"{where}.disabled must be a list of rule ids or categories")
        raw_severities = data.get("severities", {})
        if not isinstance(raw_severities, Mapping):
            raise ConfigError(f"{where}.severities must be a table of name = severity")
        severities: dict[str, Severity] = {}
        for name, value in raw_severities.items():
            try:
                severities[str(name)] = Severity(value)
            except ValueError:
                raise ConfigError(
                    f"{where}.severities.{name} must be one of info, warn, block; got {value!r}"
                ) from None
        per_channel: dict[Channel, PolicyConfig] = {}
        channels = data.get("channels", {})
        if not isinstance(channels, Mapping):
            raise ConfigError(f"{where}.channels must be a table of channel tables")
        for name, table in channels.items():
            try:
                channel = Channel(name)
            except ValueError:
                raise ConfigError(
                    f"{where}.channels.{name} is not a channel; known: "
                    f"{', '.join(c.value for c in Channel)}"
                ) from None
            if not isinstance(table, Mapping) or "channels" in table:
                raise ConfigError(f"{where}.channels.{name} must be a table without channels")
            per_channel[channel] = cls.from_mapping(table, where=f"{where}.channels.{name}")
        return cls(disabled=disabled, severities=severities, per_channel=per_channel)

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
        config = self.config
        if config.per_channel:  # most configurations have none: no enum hashed per message
            config = config.for_channel(channel)
        if config.disabled or config.severities:
            found = [v for v in (config.apply(v) for v in found) if v is not None]
        return Decision.from_violations(found)

    def check_outbound(self, content: Content, context: PolicyContext) -> Decision:
        return self._decide(self._hooks.check_outbound(content, context), context.channel)

    def check_inbound(self, event: InboundEvent, context: PolicyContext) -> Decision:
        """Customer behaviour is flagged, never blocked: a BLOCK becomes a WARN here."""
        decision = self._decide(self._hooks.check_inbound(event, context), context.channel)
        if decision.blocked:
            return evolve(decision, action=Action.WARN)
        return decision
