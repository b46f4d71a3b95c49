"""Shared helpers: one plugin manager over the installed entry points, a ``check`` function
that returns the categories (and violations) the built-in checks report, and every blind-set
message, folded."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mmtkit.messages import Channel, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.policy import AdCreative, Decision, HistoryItem, PolicyContext, PolicyEngine
from mmtkit.textnorm import normalize

CORPUS = Path(__file__).resolve().parents[2].parent / "shared/corpus/compliance-dev.jsonl"

Check = Callable[..., Decision]

# A build asked to be pure (MMTKIT_PURE_PYTHON=1) has no C extensions to hold to their Python
# forms; tests/core/test_native.py checks that it has none. Every other build runs these.
collect_ignore = (["test_matching.py", "test_rules_native.py", "test_scoring.py"]
                  if os.environ.get("MMTKIT_PURE_PYTHON") == "1" else [])


@pytest.fixture(scope="session")
def folded_messages(blind_messages: list[str]) -> list[str]:
    """The blind-set messages (``tests/conftest.py``) folded as the checks read them."""
    return [normalize(text).text for text in blind_messages]


@pytest.fixture(scope="session")
def manager() -> PluginManager:
    return PluginManager.with_entry_points(env={})


@pytest.fixture(scope="session")
def engine(manager: PluginManager) -> PolicyEngine:
    return PolicyEngine(manager.hooks)


@pytest.fixture(scope="session")
def check(engine: PolicyEngine) -> Check:
    def run(
        text: str,
        channel: str = "tiktok_shop",
        ad: AdCreative | None = None,
        history: tuple[HistoryItem, ...] = (),
    ) -> Decision:
        context = PolicyContext(channel=Channel(channel), ad_creative=ad, history=history)
        return engine.check_outbound(Text(text), context)

    return run
