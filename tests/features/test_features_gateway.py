"""The feature plugins driven through the real gateway: webhooks in, outbox and labels out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mmtkit.gateway import Gateway
from mmtkit.messages import Channel
from mmtkit.outbox import OutboxState
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.features import register_features
from mmtkit.plugins.signals import keywords as keyword_signals

Deliver = Callable[..., None]

FEATURES: dict[str, Any] = {
    "welcome": {"text": "Hi! Thanks for writing to us."},
    "keyword_replies": [
        {"language": "en", "keywords": ["opening hours"], "reply": "We are open 9 to 6."},
        {"language": "id", "keywords": ["jam buka"], "reply": "Kami buka jam 9 sampai 6."},
    ],
    "labels": {"keywords": [{"label": "complaint", "keywords": ["broken"]}]},
    "assignment": {"by_channel": {"tiktok": "ana"}},
}


def replies(gateway: Gateway) -> list[tuple[str, str | None]]:
    records = gateway.store.outbox.list([OutboxState.PENDING])
    return [(r.content.body, r.sent_by) for r in records]


def test_welcome_then_keyword_replies_are_automatic_and_in_the_outbox(
    plugins: PluginManager, gateway: Gateway, deliver: Deliver
) -> None:
    register_features(plugins, FEATURES)
    deliver("hello there", "m1")
    deliver("what are your OPENING h0urs?", "m2")
    deliver("jam buka toko?", "m3")
    assert replies(gateway) == [
        ("Hi! Thanks for writing to us.", "automation"),
        ("We are open 9 to 6.", "automation"),
        ("Kami buka jam 9 sampai 6.", "automation"),
    ]


def test_labels_from_keywords_and_signals_are_filterable(
    plugins: PluginManager, gateway: Gateway, deliver: Deliver
) -> None:
    plugins.register(keyword_signals, name="keyword_signals")
    register_features(plugins, FEATURES)
    deliver("the zipper is broken", "m1", conversation="c1")
    deliver("how can I pay for it?", "m2", conversation="c2")
    store = gateway.store
    assert [c.conversation_id for c in store.conversations.query(label="complaint")] == ["c1"]
    assert [c.conversation_id for c in store.conversations.query(label="payment-intent")] == ["c2"]
    assert [c.conversation_id for c in store.conversations.query(assignee="ana", limit=5)] == [
        "c2",
        "c1",
    ]


def test_holiday_mode_sends_its_own_message_once(
    plugins: PluginManager, gateway: Gateway, deliver: Deliver
) -> None:
    now = datetime.now(UTC)
    away = {
        "message": "We are closed now.",
        "holiday_message": "We are on holiday until Monday.",
        "holidays": [
            {
                "start": (now - timedelta(hours=1)).isoformat(),
                "end": (now + timedelta(hours=1)).isoformat(),
            }
        ],
    }
    register_features(plugins, {**FEATURES, "away": away})
    deliver("hello?", "m1")
    deliver("anyone there?", "m2")
    assert replies(gateway) == [("We are on holiday until Monday.", "automation")]


def test_outside_opening_hours_the_away_message_replaces_the_welcome(
    plugins: PluginManager, gateway: Gateway, deliver: Deliver
) -> None:
    away = {"message": "We are closed now.", "hours": {}}  # no opening hours: always away
    register_features(plugins, {**FEATURES, "away": away})
    deliver("opening hours?", "m1")
    assert replies(gateway) == [
        ("We are closed now.", "automation"),
        ("We are open 9 to 6.", "automation"),
    ]


def test_without_settings_nothing_replies(
    plugins: PluginManager, gateway: Gateway, deliver: Deliver
) -> None:
    register_features(plugins, {})
    deliver("hello", "m1")
    assert replies(gateway) == []
    stored = gateway.store.conversations.get(Channel.TIKTOK, "c1")
    assert stored is not None
    assert stored.assignee is None


@pytest.mark.parametrize("text", ["opening", "opening hoursly", "reopening hours"])
def test_keywords_match_whole_words_only(
    plugins: PluginManager, gateway: Gateway, deliver: Deliver, text: str
) -> None:
    register_features(plugins, {"keyword_replies": FEATURES["keyword_replies"]})
    deliver(text, "m1")
    assert replies(gateway) == []
