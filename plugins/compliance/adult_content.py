"""Compliance check ``adult_content``: Pornography, sexual services, sexual allusions and advances,
anything sexual about minors (TikTok Shop Customer Service Guidelines 4.2.5, 4.2.6).

The words and rules are data in ``lexicons/adult_content.toml`` (extend them through
``MMTKIT_LEXICON_PATH``); this module only plugs them into the ``mmt_check_outbound`` hook.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.model import model_rule
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "adult_content"
CHECK = CategoryCheck(CATEGORY, [model_rule(CATEGORY)])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
