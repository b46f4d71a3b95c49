"""Compliance check ``off_platform_diversion``: taking a TikTok customer elsewhere (TikTok
Shop Customer Service Guidelines 4.2.2).

Lexicon rules (``lexicons/off_platform_diversion.toml``) catch messaging apps, payment
routes, other marketplaces, off-platform refunds and requests to cancel the order. A Python
rule catches the contact details themselves: third-party links (any host outside the
``allowed_domains`` setting), e-mail addresses (also written ``name[at]mail[dot]com``), phone
numbers (confirmed with ``phonenumbers``) and messaging handles next to an app name.

The channel decides: on WhatsApp or Messenger the business's own number *is* the
conversation, so these rules only run on the channels in the ``channels`` setting (TikTok and
TikTok Shop by default). The rule is
:func:`mmtkit.plugins.compliance.link_rules.contact_details`.
"""

from __future__ import annotations

from mmtkit.hookspecs import forwards_to, hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance import link_rules
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "off_platform_diversion"
CHECK = CategoryCheck(CATEGORY, [link_rules.contact_details])


@hookimpl
@forwards_to(CHECK.outbound)
def mmt_check_outbound(content: Content, context: PolicyContext) -> tuple[Violation, ...]:
    return CHECK.outbound(content, context)
