"""Customer satisfaction ratings: kept one row each, listed by period, channel, conversation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from mmtkit.messages import Channel
from mmtkit.store import Rating, SqliteStore, Store

from .conftest import T0


def rating(cid: str, score: int, hours: float, channel: Channel = Channel.TIKTOK) -> Rating:
    return Rating(
        channel=channel, conversation_id=cid, score=score, at=T0 + timedelta(hours=hours)
    )


def test_ratings_are_listed_oldest_first_within_bounds(store: Store) -> None:
    later = store.ratings.add(rating("a", 5, 2))
    earlier = store.ratings.add(rating("b", 3, 1, Channel.WHATSAPP))
    again = store.ratings.add(rating("a", 2, 30))
    assert len({earlier.id, later.id, again.id} - {None}) == 3
    assert store.ratings.list() == [earlier, later, again]
    assert store.ratings.list(since=T0 + timedelta(hours=2)) == [later, again]
    assert store.ratings.list(until=T0 + timedelta(hours=2)) == [earlier]
    assert store.ratings.list(channel=Channel.WHATSAPP) == [earlier]
    assert store.ratings.list(conversation_id="a") == [later, again]
    assert store.ratings.list(limit=1) == [earlier]


def test_a_rolled_back_rating_is_gone(store: Store) -> None:
    def rate_then_fail() -> None:
        with store.transaction():
            store.ratings.add(rating("a", 4, 1))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        rate_then_fail()
    assert store.ratings.list() == []


@pytest.mark.parametrize("score", [0, 6, -1])
def test_a_score_outside_one_to_five_is_refused(score: int) -> None:
    with pytest.raises(ValueError, match="score"):
        rating("a", score, 0)


def test_ratings_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    with SqliteStore(path) as first:
        stored = first.ratings.add(rating("a", 4, 1))
    with SqliteStore(path) as second:
        assert second.ratings.list() == [stored]
