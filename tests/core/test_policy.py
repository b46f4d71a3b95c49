from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Channel, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.policy import (
    Action,
    Decision,
    PolicyConfig,
    PolicyContext,
    PolicyEngine,
    Severity,
    Span,
    Violation,
)


def v(rule_id: str, category: str, severity: str) -> Violation:
    return Violation(
        rule_id=rule_id,
        category=category,
        severity=severity,
        explanation="e",
        policy_ref="TikTok Shop Customer Service Guidelines 4.2.2",
        spans=[Span(0, 2)],
    )


class Checks:
    @hookimpl
    def mmt_check_outbound(self, content: Any, context: Any) -> list[Violation]:
        return [
            v("div.phone", "off_platform_diversion", "block"),
            v("mkt.repeat", "unsolicited_marketing", "warn"),
        ]

    @hookimpl
    def mmt_check_inbound(self, event: Any, context: Any) -> list[Violation]:
        return [v("abuse.threat", "harassment", "block")]


def engine(config: PolicyConfig | None = None) -> PolicyEngine:
    manager = PluginManager(env={})
    manager.register(Checks(), name="checks")
    return PolicyEngine(manager.hooks, config)


def test_decision_is_the_worst_severity() -> None:
    assert Decision.from_violations([]).action is Action.ALLOW
    assert Decision.from_violations([v("a", "x", "info")]).action is Action.ALLOW
    assert Decision.from_violations([v("a", "x", "warn")]).action is Action.WARN
    decision = engine().check_outbound(Text("hi"), PolicyContext(channel="tiktok"))
    assert decision.blocked
    assert decision.categories == {"off_platform_diversion", "unsolicited_marketing"}


@given(st.lists(st.sampled_from(["info", "warn", "block"]), max_size=6))
def test_the_action_is_the_worst_severity_in_any_order(severities: list[str]) -> None:
    found = [v(f"r.n{i}", "x", s) for i, s in enumerate(severities)]
    expected = (Action.BLOCK if "block" in severities else
                Action.WARN if "warn" in severities else Action.ALLOW)
    decision = Decision.from_violations(iter(found))
    assert decision.action is expected
    assert decision.violations == tuple(found)

    class Audited(Decision):
        pass

    subclassed = Audited.from_violations(found)
    assert type(subclassed) is Audited
    assert (subclassed.action, subclassed.violations) == (expected, tuple(found))


def test_rules_can_be_disabled_by_id_or_category() -> None:
    ctx = PolicyContext(channel="tiktok")
    assert (
        engine(PolicyConfig(disabled={"div.phone"})).check_outbound(Text("hi"), ctx).action
        is Action.WARN
    )
    assert (
        engine(PolicyConfig(disabled={"off_platform_diversion", "unsolicited_marketing"}))
        .check_outbound(Text("hi"), ctx)
        .action
        is Action.ALLOW
    )


def test_severity_overrides_and_per_channel_settings() -> None:
    config = PolicyConfig(
        severities={"off_platform_diversion": Severity.WARN},
        per_channel={Channel.TIKTOK_SHOP: PolicyConfig(severities={"div.phone": Severity.BLOCK})},
    )
    assert (
        engine(config).check_outbound(Text("hi"), PolicyContext(channel="whatsapp")).action
        is Action.WARN
    )
    assert (
        engine(config).check_outbound(Text("hi"), PolicyContext(channel="tiktok_shop")).action
        is Action.BLOCK
    )


def test_inbound_violations_flag_but_never_block() -> None:
    from datetime import UTC, datetime

    from mmtkit.messages import MessageReceived

    event = MessageReceived(
        channel="tiktok",
        conversation_id="c",
        customer_id="u",
        kind="text",
        text="x",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
    )
    decision = engine().check_inbound(event, PolicyContext(channel="tiktok"))
    assert decision.action is Action.WARN
    assert [x.rule_id for x in decision.violations] == ["abuse.threat"]


def test_violation_validation() -> None:
    with pytest.raises(ValueError, match="before start"):
        Span(5, 2)
    with pytest.raises(ValueError, match="rule_id"):
        v("Has Spaces", "x", "warn")
    assert Span(1, 3).text_in("abcdef") == "bc"
