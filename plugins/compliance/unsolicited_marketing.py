"""Compliance check ``unsolicited_marketing``: promotions nobody asked for (TikTok Shop
Customer Service Guidelines 4.2.2, Spamming or Unsolicited Marketing).

Lexicon rules catch broadcast-style promotions; the Python rule (in the compiled
:mod:`~mmtkit.plugins.compliance.history_rules`) uses the conversation's recent history
(:attr:`mmtkit.policy.PolicyContext.history`): a promotional message is a violation when the
business already sent ``repeat_threshold`` promotional messages within ``repeat_window_days``
(settings in ``lexicons/unsolicited_marketing.toml``). Inbound, a customer's advertisement is
flagged (guideline 5.3), never blocked.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content, InboundEvent
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.history_rules import is_promotional, repeated_promotion
from mmtkit.policy import PolicyContext, Violation

__all__ = ["CATEGORY", "CHECK", "is_promotional", "mmt_check_inbound", "mmt_check_outbound"]

CATEGORY = "unsolicited_marketing"

CHECK = CategoryCheck(CATEGORY, [repeated_promotion])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)


@hookimpl
@forwards_to(CHECK.inbound)
def mmt_check_inbound(event: InboundEvent, context: PolicyContext) -> list[Violation]:
    return CHECK.inbound(event, context)
