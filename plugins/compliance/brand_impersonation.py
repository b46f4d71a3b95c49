"""Compliance check ``brand_impersonation``: Posing as TikTok, or TikTok-branded vouchers and
offers (TikTok Messaging Ads Policies).

The words and rules are data in ``lexicons/brand_impersonation.toml`` (extend them through
``MMTKIT_LEXICON_PATH``). One rule needs the message's links: a link whose host borrows the
platform's name without being one of its domains (``tiktokshop-taxportal.info``,
``tik-tok-rewards.top``), the way phishing sites pass for TikTok. The rule is
:func:`mmtkit.plugins.compliance.link_rules.lookalike_links`.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance import link_rules
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "brand_impersonation"
CHECK = CategoryCheck(CATEGORY, [link_rules.lookalike_links])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
