"""Shared helpers: one plugin manager over the installed entry points, and a ``check``
function that returns the categories (and violations) the built-in checks report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mmtkit.messages import Channel, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.policy import AdCreative, Decision, HistoryItem, PolicyContext, PolicyEngine

CORPUS = Path(__file__).resolve().parents[2].parent / "shared/corpus/compliance-dev.jsonl"

Check = Callable[..., Decision]


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
