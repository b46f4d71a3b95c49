"""The C form of ``mmtkit.trusted.assemble`` (``_slots.c``, what a built mmtkit runs) makes
what its Python form makes, which is ``object.__new__`` and ``object.__setattr__`` themselves:
on the classes the checks build, and on unusual ones, errors included.
``tests/core/test_native.py`` makes sure the C form is built at all."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from mmtkit._slots import fill
from mmtkit.policy import Action, Decision, Severity, Span, Violation
from mmtkit.textnorm import Normalized, normalize
from mmtkit.trusted import _python_assemble, assemble


def _cases() -> list[tuple[type[Any], tuple[str, ...], tuple[object, ...]]]:
    normalized = normalize("W h a t s A p p me, ca$h!")
    return [
        (Span, ("start", "end"), (3, 7)),
        (Decision, ("action", "violations"), (Action.ALLOW, ())),
        (Normalized, ("original", "text", "folded", "_steps"),
         (normalized.original, normalized.text, normalized.folded, normalized._steps)),
        (Violation, ("rule_id", "category", "severity", "explanation", "policy_ref", "spans",
                     "plugin"),
         ("a.b", "a", Severity.WARN, "why", "clause 1", (Span(0, 1),), "mmtkit.plugins.x")),
    ]


@pytest.mark.parametrize(("cls", "names", "values"), _cases())
def test_the_c_form_makes_the_python_form_s_objects(cls: type[Any], names: tuple[str, ...],
                                                    values: tuple[object, ...]) -> None:
    made = fill(cls, names, values)
    assert type(made) is cls
    assert made == _python_assemble(cls, names, values)
    assert all(getattr(made, name) is value for name, value in zip(names, values, strict=True))
    assert assemble(cls, names, values) == made  # and assemble uses it in a built mmtkit
    with pytest.raises(AttributeError):
        made.anything = 1


class _Slotted:
    __slots__ = ("a", "b")


class _WithDict:
    pass


class _OwnNew:
    def __new__(cls) -> _OwnNew:
        return super().__new__(cls)


class _Borrowed:
    __slots__ = ()
    a = _Slotted.__dict__["a"]  # a member descriptor of another class


@pytest.mark.parametrize("cls", [_Slotted, _WithDict, _OwnNew, _Borrowed])
def test_unusual_classes_get_the_answers_and_errors_of_object_s_own_methods(
        cls: type[Any]) -> None:
    def outcome(make: Any) -> tuple[str, object]:
        try:
            made = make(cls, ("a",), (1,))
        except Exception as exc:  # noqa: BLE001 (the outcome compared is the error)
            return f"{type(exc).__name__}: {exc}", None
        return type(made).__name__, made.a

    expected = outcome(_python_assemble)
    assert outcome(fill) == expected
    assert expected[1] == 1 or "Error" in expected[0]


def test_bad_arguments_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="Span: 2 names for 1 values"):
        fill(Span, ("start", "end"), (3,))
    with pytest.raises(TypeError, match="needs a class, not int"):
        fill(1, (), ())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="as tuples"):
        fill(Span, ["start"], (3,))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="attribute name must be string"):
        fill(_Slotted, (1,), (1,))  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        fill(_Slotted, ("c",), (1,))


def test_a_failed_fill_leaks_nothing_and_a_filled_object_holds_its_values() -> None:
    value = object()
    before = sys.getrefcount(value)
    made = fill(_Slotted, ("a", "b"), (value, value))
    assert sys.getrefcount(value) == before + 2
    del made
    with pytest.raises(AttributeError):
        fill(_Slotted, ("a", "c"), (value, value))
    assert sys.getrefcount(value) == before
