"""``mmtkit.trusted.assemble`` makes the object the class would, without running its checks.

``test_slots.py`` holds its C form to its Python form."""

from __future__ import annotations

import pytest

from mmtkit.policy import Action, Decision, Span
from mmtkit.trusted import assemble


def test_assembled_objects_equal_the_class_s_own() -> None:
    assert assemble(Span, ("start", "end"), (3, 7)) == Span(3, 7)
    assert assemble(Decision, ("action", "violations"), (Action.ALLOW, ())) == Decision(
        Action.ALLOW)


def test_assembled_objects_stay_frozen() -> None:
    span = assemble(Span, ("start", "end"), (3, 7))
    with pytest.raises(AttributeError):
        span.start = 4  # type: ignore[misc]


def test_names_and_values_must_pair_up() -> None:
    with pytest.raises(ValueError, match="2 names for 1 values"):
        assemble(Span, ("start", "end"), (3,))
