"""The emulator's moving-window rate limits, against a plain model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.sandbox.rates import Rate, RateGate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80/second", Rate(80, 1)),
        ("600/minute", Rate(600, 60)),
        ("1 per 6 seconds", Rate(1, 6)),
        ("10 per second", Rate(10, 1)),
        (" 2 / Hour ", Rate(2, 3600)),
        ("1000000/day", Rate(1_000_000, 86400)),
    ],
)
def test_rates_parse(text: str, expected: Rate) -> None:
    assert Rate.parse(text) == expected


@pytest.mark.parametrize("text", ["", "fast", "10", "0/second", "1 per 0 seconds", "5/week"])
def test_bad_rates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        Rate.parse(text)


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(1, 5),
    seconds=st.integers(1, 10),
    steps=st.lists(st.floats(0, 4, allow_nan=False), max_size=60),
)
def test_the_gate_matches_a_moving_window_model(
    amount: int, seconds: int, steps: list[float]
) -> None:
    now = [0.0]
    gate = RateGate(clock=lambda: now[0])
    accepted: list[float] = []
    for step in steps:
        now[0] += step
        in_window = [t for t in accepted if t > now[0] - seconds]
        expected = len(in_window) < amount
        assert gate.allow(f"{amount} per {seconds} seconds", "key") is expected
        if expected:
            accepted.append(now[0])
