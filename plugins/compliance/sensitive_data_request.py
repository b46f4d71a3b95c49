"""Compliance check ``sensitive_data_request``: Asking customers for passwords, OTPs, card or bank
details, or special-category personal data (TikTok Messaging Ads Policies; TikTok Shop Customer
Service Guidelines 4.2.4).

The words and rules are data in ``lexicons/sensitive_data_request.toml`` (extend them through
``MMTKIT_LEXICON_PATH``); this module only plugs them into the ``mmt_check_outbound`` hook.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "sensitive_data_request"
CHECK = CategoryCheck(CATEGORY)


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
