"""The loop that calls a hook's implementations (``mmtkit.dispatch``), on its own: what
``Hooks`` relies on whichever build runs it."""

from __future__ import annotations

from typing import Any

import pytest

from mmtkit.dispatch import Implementation, call_each

KWARGS = {"content": "hello", "context": "ctx"}


def _record(failures: list[tuple[str, Exception]]) -> Any:
    def on_failure(plugin: str, exc: Exception) -> None:
        failures.append((plugin, exc))
    return on_failure


def _never(plugin: str, exc: Exception) -> None:
    raise AssertionError(f"{plugin} raised {exc!r}")


def test_each_implementation_gets_the_arguments_it_names_in_its_order() -> None:
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def both(content: str, context: str) -> list[str]:
        seen.append(("both", (content, context)))
        return [content]

    def swapped(context: str, content: str) -> list[str]:
        seen.append(("swapped", (context, content)))
        return [context]

    def context_only(context: str) -> list[str]:
        seen.append(("context_only", (context,)))
        return []

    def nothing() -> list[str]:
        seen.append(("nothing", ()))
        return ["n"]

    implementations: list[Implementation] = [
        ("a", both, ("content", "context")), ("b", swapped, ("context", "content")),
        ("c", both, ("content", "context")), ("d", context_only, ("context",)),
        ("e", nothing, ()),
    ]
    assert call_each(implementations, KWARGS, _never, True) == ["hello", "ctx", "hello", "n"]
    assert seen == [("both", ("hello", "ctx")), ("swapped", ("ctx", "hello")),
                    ("both", ("hello", "ctx")), ("context_only", ("ctx",)), ("nothing", ())]


def test_none_is_skipped_and_flatten_decides_between_items_and_results() -> None:
    implementations: list[Implementation] = [
        ("a", lambda content: None, ("content",)),
        ("b", lambda content: (content, content), ("content",)),
        ("c", lambda content: [], ("content",)),
        ("d", lambda content: iter([1, 2]), ("content",)),
    ]
    assert call_each(implementations, KWARGS, _never, True) == ["hello", "hello", 1, 2]
    results = call_each(implementations[:3], KWARGS, _never, False)
    assert results == [("hello", "hello"), []]
    assert call_each([], KWARGS, _never, True) == []


def test_a_failure_that_returns_lets_the_others_run() -> None:
    failures: list[tuple[str, Exception]] = []
    error = ValueError("broken lexicon")

    def broken(content: str) -> list[str]:
        raise error

    implementations: list[Implementation] = [
        ("first", lambda content: ["1"], ("content",)), ("broken", broken, ("content",)),
        ("last", lambda content: ["3"], ("content",)),
    ]
    assert call_each(implementations, KWARGS, _record(failures), True) == ["1", "3"]
    assert failures == [("broken", error)]


def test_a_failure_that_raises_stops_the_loop_with_the_cause_kept() -> None:
    called: list[str] = []

    class Stop(Exception):
        pass

    def stop(plugin: str, exc: Exception) -> None:
        raise Stop(plugin) from exc

    def broken(content: str) -> list[str]:
        raise KeyError("otp")

    def after(content: str) -> list[str]:
        called.append("after")
        return []

    implementations: list[Implementation] = [("broken", broken, ("content",)),
                                             ("after", after, ("content",))]
    with pytest.raises(Stop, match="broken") as raised:
        call_each(implementations, KWARGS, stop, True)
    assert isinstance(raised.value.__cause__, KeyError)
    assert called == []


def test_what_is_not_an_exception_is_not_caught() -> None:
    def interrupted(content: str) -> list[str]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        call_each([("i", interrupted, ("content",))], KWARGS, _never, True)


def test_a_missing_argument_is_a_key_error_not_a_wrong_call() -> None:
    with pytest.raises(KeyError, match="conversation"):
        call_each([("x", lambda conversation: [], ("conversation",))], KWARGS, _never, True)


def test_a_result_that_is_not_iterable_fails_when_flattened() -> None:
    with pytest.raises(TypeError):
        call_each([("x", lambda content: 42, ("content",))], KWARGS, _never, True)
