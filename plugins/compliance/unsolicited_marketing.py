"""Compliance check ``unsolicited_marketing``: promotions nobody asked for (TikTok Shop
Customer Service Guidelines 4.2.2, Spamming or Unsolicited Marketing).

Lexicon rules catch broadcast-style promotions; the rule here uses the conversation's recent
history (:attr:`mmtkit.policy.PolicyContext.history`): a promotional message is a violation
when the business already sent ``repeat_threshold`` promotional messages within
``repeat_window_days`` (settings in ``lexicons/unsolicited_marketing.toml``). Inbound, a
customer's advertisement is flagged (guideline 5.3), never blocked.
"""

from __future__ import annotations

from datetime import timedelta

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content, InboundEvent
from mmtkit.plugins.compliance.analysis import Analysis, default_matcher
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "unsolicited_marketing"
_PROMO = ("promo_strong", "promo_weak")


def is_promotional(analysis: Analysis) -> bool:
    """A message that pushes a promotion, whether or not it is spam on its own."""
    return any(c in analysis.hits for c in _PROMO) and "responsive" not in analysis.hits


def _repeated(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    if not context.history or not is_promotional(analysis):
        return []
    matcher = default_matcher()
    days = analysis.setting(CATEGORY, "repeat_window_days", 7)
    threshold = analysis.setting(CATEGORY, "repeat_threshold", 1)
    latest = context.now or max(item.at for item in context.history)
    since = latest - timedelta(days=days)
    earlier = sum(
        1
        for item in context.history
        if item.from_business and item.at >= since and is_promotional(matcher.analyse(item.text))
    )
    if earlier >= threshold:
        ranges = [h for c in _PROMO for h in analysis.hits.get(c, ())[:1]]
        return [CHECK.finding("repeated_promotion", ranges)]
    return []


CHECK = CategoryCheck(CATEGORY, [_repeated])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)


@hookimpl
@forwards_to(CHECK.inbound)
def mmt_check_inbound(event: InboundEvent, context: PolicyContext) -> list[Violation]:
    return CHECK.inbound(event, context)
