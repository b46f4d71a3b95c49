"""Compliance check ``brand_impersonation``: Posing as TikTok, or TikTok-branded vouchers and
offers (TikTok Messaging Ads Policies).

The words and rules are data in ``lexicons/brand_impersonation.toml`` (extend them through
``MMTKIT_LEXICON_PATH``). One rule needs the message's links: a link whose host borrows the
platform's name without being one of its domains (``tiktokshop-taxportal.info``,
``tik-tok-rewards.top``), the way phishing sites pass for TikTok.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Content
from mmtkit.plugins.compliance.analysis import Analysis, default_matcher
from mmtkit.plugins.compliance.check import CategoryCheck
from mmtkit.plugins.compliance.off_platform_diversion import allowed, host_of
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext, Violation

CATEGORY = "brand_impersonation"
_DEFAULT_NAMES = ["tiktok", "bytedance", "douyin"]
_DEFAULT_DOMAINS = ["tiktok.com", "tiktokshop.com", "tiktokglobalshop.com", "tiktokv.com",
                    "tiktokcdn.com", "bytedance.com", "douyin.com"]
_SEPARATORS = re.compile(r"[-_.]")


@lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join("[-_.]?".join(map(re.escape, name)) for name in names))


def _lookalike_links(analysis: Analysis, context: PolicyContext) -> Iterator[Finding]:
    lexicon = default_matcher().lexicon
    names = lexicon.setting(CATEGORY, "platform_names", _DEFAULT_NAMES)
    # Links are only extracted when a name occurs at all, even split ("tik-tok").
    if _names_pattern(tuple(names)).search(analysis.normalized.folded) is None:
        return
    if not analysis.urls:
        return
    domains = lexicon.setting(CATEGORY, "platform_domains", _DEFAULT_DOMAINS)
    ranges = []
    for url in analysis.urls:
        host = host_of(url.value)
        joined = _SEPARATORS.sub("", host)  # "tik-tok", "tik.tok" and "tik_tok" too
        if any(name in joined for name in names) and not allowed(host, domains):
            ranges.append((url.start, url.end))
    if ranges:
        yield CHECK.finding("lookalike_link", ranges)


CHECK = CategoryCheck(CATEGORY, [_lookalike_links])


@hookimpl
def mmt_check_outbound(content: Content, context: PolicyContext) -> list[Violation]:
    return CHECK.outbound(content, context)
