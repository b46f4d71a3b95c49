"""Compliance check ``off_platform_diversion``: taking a TikTok customer elsewhere (TikTok
Shop Customer Service Guidelines 4.2.2).

Lexicon rules (``lexicons/off_platform_diversion.toml``) catch messaging apps, payment
routes, other marketplaces, off-platform refunds and requests to cancel the order. The rule
here catches the contact details themselves: third-party links (any host outside the
``allowed_domains`` setting), e-mail addresses (also written ``name[at]mail[dot]com``), phone
numbers (confirmed with ``phonenumbers``) and messaging handles next to an app name.

The channel decides: on WhatsApp or Messenger the business's own number *is* the
conversation, so these rules only run on the channels in the ``channels`` setting (TikTok and
TikTok Shop by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.analysis import Analysis, default_matcher
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.entities import WRITTEN_DOT
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "off_platform_diversion"

_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?")
_SPACED_DOT = re.compile(r" ?\. ?")


def host_of(url: str) -> str:
    """The host of a link as written in chat (``bit.ly/x`` → ``bit.ly``)."""
    plain = _SPACED_DOT.sub(".", WRITTEN_DOT.sub(".", url))
    return re.split(r"[/\s?#]", _SCHEME.sub("", plain), maxsplit=1)[0]


def allowed(host: str, domains: list[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _contact_details(analysis: Analysis, context: PolicyContext) -> Iterator[Finding]:
    lexicon = default_matcher().lexicon
    channels = lexicon.setting(CATEGORY, "channels", ["tiktok", "tiktok_shop"])
    if context.channel.value not in channels:
        return
    domains = lexicon.setting(CATEGORY, "allowed_domains", [])
    ranges = [(u.start, u.end) for u in analysis.urls if not allowed(host_of(u.value), domains)]
    ranges += [(e.start, e.end) for e in analysis.emails]
    ranges += [(p.start, p.end) for p in analysis.phones]
    if "contact_app" in analysis.hits:
        ranges += [(h.start, h.end) for h in analysis.handles]
    if ranges:
        yield CHECK.finding("contact_details", ranges)


CHECK = CategoryCheck(CATEGORY, [_contact_details])


@hookimpl
def mmt_check_outbound(content: Content, context: PolicyContext) -> list[Violation]:
    return CHECK.outbound(content, context)
