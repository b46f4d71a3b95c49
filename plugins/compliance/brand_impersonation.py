"""Compliance check ``brand_impersonation``: Posing as TikTok, or TikTok-branded vouchers and
offers (TikTok Messaging Ads Policies).

The words and rules are data in ``lexicons/brand_impersonation.toml`` (extend them through
``MMTKIT_LEXICON_PATH``); this module only plugs them into the ``mmt_check_outbound`` hook.
"""

from __future__ import annotations

from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "brand_impersonation"
CHECK = CategoryCheck(CATEGORY)


@hookimpl
def mmt_check_outbound(content: Content, context: PolicyContext) -> list[Violation]:
    return CHECK.outbound(content, context)
