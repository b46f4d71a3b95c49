"""Building frozen attrs instances from values already known to be valid.

attrs' generated ``__init__`` runs as interpreted Python even when its caller is compiled,
and it runs every converter and validator again. The compliance hot path makes a normalised
text, findings, spans, violations and a decision for every message, from values that are
already of the right type and checked (a rule's severity is a ``Severity``, spans come sorted
from the analysis). This module, compiled with them (``mmtkit.native.COMPILED``), fills the
slots of such an instance directly: the same object for a fraction of the instructions.

Only code that has the guarantee may use it; everything else calls the class.

A built mmtkit fills the slots in C (:mod:`mmtkit._slots`): ``object.__setattr__`` goes
through a method wrapper and the generic attribute machinery for every slot, and that was 4%
of the checks' instructions. Both forms make the same objects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar, cast

from mmtkit.native import c_extension

__all__ = ["assemble"]

T = TypeVar("T")

_native: Any = c_extension("mmtkit._slots")
_FILL: Final[Callable[[type[Any], tuple[str, ...], tuple[object, ...]], object] | None] = (
    None if _native is None else _native.fill)
"""``fill(cls, names, values)`` of the C extension, or None in a build without it."""


def assemble(cls: type[T], names: tuple[str, ...], values: tuple[object, ...]) -> T:
    """An instance of the frozen ``cls`` holding ``values`` in the attributes ``names`` (slot
    names: ``_steps``, not ``steps``), with no converter or validator run. The names are a
    constant of the caller's, so a call builds one tuple (keyword arguments would build a
    dictionary per object, 2.6% of the checks' instructions)."""
    fill = _FILL
    if fill is not None:
        return cast(T, fill(cls, names, values))
    return _python_assemble(cls, names, values)


def _python_assemble(cls: type[T], names: tuple[str, ...], values: tuple[object, ...]) -> T:
    """:func:`assemble` in Python: what a build without a C compiler runs, and the reference
    the C form is tested against."""
    if len(names) != len(values):
        raise ValueError(f"{cls.__name__}: {len(names)} names for {len(values)} values")
    made = object.__new__(cls)
    for i in range(len(names)):
        object.__setattr__(made, names[i], values[i])  # the frozen class's own refuses
    return made
