"""Compliance check ``prohibited_product``: Drugs, weapons, gambling, counterfeits, pirated
accounts and other goods that may not be promoted (TikTok Shop Customer Service Guidelines
4.2.3; Industry Entry policy).

The words and rules are data in ``lexicons/prohibited_product.toml`` (extend them through
``MMTKIT_LEXICON_PATH``); this module only plugs them into the ``mmt_check_outbound`` hook.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "prohibited_product"
CHECK = CategoryCheck(CATEGORY)


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
