"""Calling a hook's implementations one by one: the loop every outbound message goes through.

:class:`mmtkit.plugin_manager.Hooks` decides what a hook means (its arguments, whether a
plugin that raises stops the send); this module only runs the implementations and gathers
their results. It is compiled with mypyc (``mmtkit.native.COMPILED``) because it runs eleven
times per message sent, once per compliance category, and the interpreted loop cost about as
much as the eleven categories' own calls; it knows nothing of any plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Implementation", "OnFailure", "call_each"]

Implementation = tuple[str, Callable[..., Any], tuple[str, ...]]
"""``(plugin name, function, argument names)``, as pluggy lists a hook's implementations."""

OnFailure = Callable[[str, Exception], None]
"""Told ``(plugin name, exception)`` when an implementation raises; it raises to stop the
loop (a check that fails closed) or returns to go on with the next implementation."""


def call_each(implementations: Sequence[Implementation], kwargs: dict[str, Any],
              on_failure: OnFailure, flatten: bool) -> list[Any]:
    """Each implementation's result that is not ``None``, in call order; with ``flatten``,
    the items of each result instead (the checks' lists of violations, gathered without a
    second pass).

    Each implementation receives the arguments it names, positionally. Most implementations
    of a hook name the same arguments in the same order (eleven compliance checks), so the
    argument tuple is built again only when the names change (:meth:`PluginManager.
    implementations <mmtkit.plugin_manager.PluginManager.implementations>` hands out one
    tuple for equal names, so that is mostly an identity test).
    """
    results: list[Any] = []
    names: tuple[str, ...] | None = None
    args: tuple[Any, ...] = ()
    for plugin, function, argnames in implementations:
        if argnames is not names:
            if argnames != names:
                args = tuple([kwargs[name] for name in argnames])
            names = argnames
        try:
            result = function(*args)
        except Exception as exc:  # noqa: BLE001 - the caller decides: raise or go on
            on_failure(plugin, exc)
            continue
        if result is not None:
            if flatten:
                results.extend(result)
            else:
                results.append(result)
    return results
