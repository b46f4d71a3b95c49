"""The Python rules that read what a message hands over: links, e-mail addresses, phone
numbers, handles and file names (:mod:`mmtkit.plugins.compliance.entities`).

Three categories use them: ``off_platform_diversion`` (contact details), ``brand_impersonation``
(links whose host borrows TikTok's name) and ``malware`` (executable files, apps from a link).
They run on nearly every message sent on TikTok, so they live here, in a module that is
compiled (:mod:`mmtkit.native`), and each category's plugin module lists the ones it uses.
Their settings are read from the ``[settings]`` table of the category's lexicon file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from mmtkit.plugins.compliance.analysis import Analysis
from mmtkit.plugins.compliance.check import finding
from mmtkit.plugins.compliance.entities import WRITTEN_DOT
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext

__all__ = ["allowed", "app_by_link", "contact_details", "executable_files", "host_of",
           "lookalike_links"]

_SPACED_DOT: Final = re.compile(r" ?\. ?")
_HOST_END: Final = re.compile(r"[/\s?#]")
_WHITESPACE: Final = re.compile(r"\s")


def host_of(url: str) -> str:
    """The host of a link as written in chat (``bit.ly/x`` → ``bit.ly``).

    A link with neither whitespace nor a bracket has no written-out dot to replace (most
    links: the replacing patterns start with an optional character, which the regex engine
    tries at every position, three times per link and rule)."""
    if "[" in url or "(" in url or "{" in url or _WHITESPACE.search(url) is not None:
        url = _SPACED_DOT.sub(".", WRITTEN_DOT.sub(".", url))
    start = 8 if url.startswith("https://") else 7 if url.startswith("http://") else 0
    if url.startswith("www.", start):
        start += 4
    end = _HOST_END.search(url, start)
    return url[start:end.start()] if end is not None else url[start:]


def allowed(host: str, domains: list[str]) -> bool:
    """``host`` is one of ``domains`` or a subdomain of one."""
    return any(host == d or host.endswith("." + d) for d in domains)


# -- off_platform_diversion --------------------------------------------------------------------

_DIVERSION: Final = "off_platform_diversion"
_DEFAULT_CHANNELS: Final = ["tiktok", "tiktok_shop"]


def contact_details(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    """Third-party links (hosts outside ``allowed_domains``), e-mail addresses, phone numbers,
    and handles next to a messaging app's name; only on the channels in ``channels``: on
    WhatsApp or Messenger the business's own number *is* the conversation."""
    channels = analysis.setting(_DIVERSION, "channels", _DEFAULT_CHANNELS)
    if context.channel not in channels:  # a StrEnum equals its wire name (no ``.value``)
        return []
    domains = analysis.setting(_DIVERSION, "allowed_domains", [])
    ranges = [(u.start, u.end) for u in analysis.urls if not allowed(host_of(u.value), domains)]
    ranges += [(e.start, e.end) for e in analysis.emails]
    ranges += [(p.start, p.end) for p in analysis.phones]
    if "contact_app" in analysis.hits:
        ranges += [(h.start, h.end) for h in analysis.handles]
    return [finding(f"{_DIVERSION}.contact_details", ranges)] if ranges else []


# -- brand_impersonation -----------------------------------------------------------------------

_IMPERSONATION: Final = "brand_impersonation"
_DEFAULT_NAMES: Final = ["tiktok", "bytedance", "douyin"]
_DEFAULT_DOMAINS: Final = ["tiktok.com", "tiktokshop.com", "tiktokglobalshop.com", "tiktokv.com",
                           "tiktokcdn.com", "bytedance.com", "douyin.com"]
_SEPARATORS: Final = re.compile(r"[-_.]")


@lru_cache(maxsize=8)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join("[-_.]?".join(map(re.escape, name)) for name in names))


def lookalike_links(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    """A link whose host borrows a ``platform_names`` name without being one of the
    ``platform_domains`` (``tiktokshop-taxportal.info``, ``tik-tok-rewards.top``)."""
    # Links first: most messages hold none, and on TikTok the diversion rule has already
    # extracted them; the name search scans the whole text, at every "t", "b" and "d".
    if not analysis.urls:
        return []
    names = analysis.setting(_IMPERSONATION, "platform_names", _DEFAULT_NAMES)
    # A link is only looked into when a name occurs at all, even split ("tik-tok").
    if _names_pattern(tuple(names)).search(analysis.normalized.folded) is None:
        return []
    domains = analysis.setting(_IMPERSONATION, "platform_domains", _DEFAULT_DOMAINS)
    ranges = []
    for url in analysis.urls:
        host = host_of(url.value)
        joined = _SEPARATORS.sub("", host)  # "tik-tok", "tik.tok" and "tik_tok" too
        if any(name in joined for name in names) and not allowed(host, domains):
            ranges.append((url.start, url.end))
    return [finding(f"{_IMPERSONATION}.lookalike_link", ranges)] if ranges else []


# -- malware -----------------------------------------------------------------------------------

_MALWARE: Final = "malware"
_SCAM_WARNING: Final = "scam_warning"
_DEFAULT_STORES: Final = ["play.google.com", "apps.apple.com", "itunes.apple.com",
                          "appgallery.huawei.com", "galaxystore.samsung.com", "microsoft.com"]


def executable_files(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    """An executable file name (``ParcelTrack.apk``, ``Invoice.pdf.exe``), unless negated
    ("don't open .exe files"). A bare extension names a kind of file, not a file sent: in a
    warning about scams ("scammers send .apk files") it is what the customer is warned of."""
    warning = _SCAM_WARNING in analysis.hits
    ranges = [(f.start, f.end) for f in analysis.files
              if not (warning and f.value.startswith("."))
              and not analysis.negated((f.start, f.end))]
    return [finding(f"{_MALWARE}.executable_file", ranges)] if ranges else []


def app_by_link(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    """A request to install an app, with a link that is not an ``official_stores`` host."""
    hits = analysis.hits
    if "install" not in hits or "app" not in hits or not analysis.urls:
        return []
    stores = analysis.setting(_MALWARE, "official_stores", _DEFAULT_STORES)
    links = [u for u in analysis.urls if not allowed(host_of(u.value), stores)]
    installs = [h for h in hits["install"] if not analysis.negated(h)]
    if links and installs:
        return [finding(f"{_MALWARE}.app_by_link", [installs[0], (links[0].start, links[0].end)])]
    return []
