"""Compliance check ``creative_mismatch``: the message must keep the promise of the ad that
opened the conversation (TikTok Messaging Ads Policies, "Avoiding common violations").

The rules (``paid_after_free``, ``price``, ``offer_withdrawn``, ``brand``) and what each
catches are in :mod:`mmtkit.plugins.compliance.creative_rules`, which is compiled; this
module is the plugin that runs them.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.creative_rules import CATEGORY, CHECK
from mmtkit.policy import PolicyContext, Violation

__all__ = ["CATEGORY", "CHECK", "mmt_check_outbound"]


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
