"""Compliance check ``review_manipulation``: Rewards for reviews, pressure to change a rating,
threats over reviews, returns or refunds (TikTok Shop Customer Service Guidelines 4.2.7).

The words and rules are data in ``lexicons/review_manipulation.toml`` (extend them through
``MMTKIT_LEXICON_PATH``); this module only plugs them into the ``mmt_check_outbound`` hook.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.model import model_rule
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "review_manipulation"
CHECK = CategoryCheck(CATEGORY, [model_rule(CATEGORY)])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
