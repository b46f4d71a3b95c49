"""Filling the slots of a new instance in C (see :func:`mmtkit.trusted.assemble`)."""

from typing import Any

def fill(cls: type[Any], names: tuple[str, ...], values: tuple[object, ...]) -> object:
    """``object.__new__(cls)``, then ``object.__setattr__(made, name, value)`` for each name
    and value, in order."""
