"""Built-in compliance checks: one plugin per policy category, sharing one matching engine.

Each category (``sensitive_data_request``, ``off_platform_diversion``, ``review_manipulation``,
``harassment``, ``prohibited_product``, ``fraud_scam``, ``malware``, ``adult_content``,
``brand_impersonation``, ``unsolicited_marketing``, ``creative_mismatch``) is a module with its
own ``mmtkit`` entry point, so it can be switched off like any third-party plugin. The words
and rules are data (``lexicons/*.toml``) that users extend through ``MMTKIT_LEXICON_PATH``; the
shared machinery is :mod:`.analysis` (normalise once, one Aho-Corasick pass), :mod:`.rules`
(what a rule means) and :mod:`.check` (turning findings into violations).
"""

from __future__ import annotations

CATEGORIES = (
    "sensitive_data_request",
    "off_platform_diversion",
    "review_manipulation",
    "harassment",
    "prohibited_product",
    "fraud_scam",
    "malware",
    "adult_content",
    "brand_impersonation",
    "unsolicited_marketing",
    "creative_mismatch",
)
"""Every built-in category, in the order the policy documents list them."""

__all__ = ["CATEGORIES"]
