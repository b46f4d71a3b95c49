"""Compliance check ``harassment``: insults, belittling, discrimination, threats, defamation
of competitors and sexual advances (TikTok Shop Customer Service Guidelines 4.2.1).

It also checks *inbound* messages for the customer behaviour the Shop guidelines let a seller
report (5.3: harassment, threats, unreasonable demands). Those are flagged with severity
``warn`` and never block anything: the policy engine turns an inbound block into a warning.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content, InboundEvent
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.model import model_rule
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "harassment"
CHECK = CategoryCheck(CATEGORY, [model_rule(CATEGORY)])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)


@hookimpl
@forwards_to(CHECK.inbound)
def mmt_check_inbound(event: InboundEvent, context: PolicyContext) -> list[Violation]:
    return CHECK.inbound(event, context)
