"""The Python rule that reads the conversation's recent history: ``unsolicited_marketing``'s
repeated promotions (TikTok Shop Customer Service Guidelines 4.2.2).

It is called for every outbound message (most have no history and it returns at once), so it
lives apart from its plugin module, in a module that is compiled (:mod:`mmtkit.native`): a
pluggy hook implementation cannot be, and an interpreted rule costs a Python frame per message.
Its settings are read from the ``[settings]`` table of ``lexicons/unsolicited_marketing.toml``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from mmtkit.plugins.compliance.analysis import Analysis, default_matcher
from mmtkit.plugins.compliance.check import finding
from mmtkit.plugins.compliance.rules import Finding
from mmtkit.policy import PolicyContext

__all__ = ["is_promotional", "repeated_promotion"]

_CATEGORY: Final = "unsolicited_marketing"
_PROMO: Final = ("promo_strong", "promo_weak")


def is_promotional(analysis: Analysis) -> bool:
    """A message that pushes a promotion, whether or not it is spam on its own."""
    hits = analysis.hits
    return any(c in hits for c in _PROMO) and "responsive" not in hits


def repeated_promotion(analysis: Analysis, context: PolicyContext) -> list[Finding]:
    """A promotional message after ``repeat_threshold`` promotional messages of the business
    within ``repeat_window_days`` of the latest (``context.now``, else the newest history
    item)."""
    history = context.history
    if not history or not is_promotional(analysis):
        return []
    matcher = default_matcher()
    days = analysis.setting(_CATEGORY, "repeat_window_days", 7)
    threshold = analysis.setting(_CATEGORY, "repeat_threshold", 1)
    latest = context.now or max(item.at for item in history)
    since = latest - timedelta(days=days)
    earlier = 0
    for item in history:
        if item.from_business and item.at >= since and is_promotional(matcher.analyse(item.text)):
            earlier += 1
    if earlier >= threshold:
        ranges = [h for c in _PROMO for h in analysis.hits.get(c, ())[:1]]
        return [finding(f"{_CATEGORY}.repeated_promotion", ranges)]
    return []
