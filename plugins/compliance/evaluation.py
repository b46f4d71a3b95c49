"""Measuring the compliance checks on a labelled corpus (``mmtkit eval``).

The corpus format is one JSON object a line (see ``shared/corpus/README.md``): ``id``,
``lang``, ``channel``, ``text``, ``labels`` (the categories an *outbound* message violates),
optional ``context.ad_creative``, optional ``direction`` and optional ``signals``.

How lines are scored:

* outbound lines go through the policy engine exactly as a send would; every category of the
  decision's violations is a prediction;
* inbound lines (customer messages) are never outbound violations: they count as clean for
  the outbound scores, and the inbound checks run on them only to report how many are flagged;
* signal accuracy is reported only when some plugin implements ``mmt_extract_signals``, over
  the lines that carry a ``signals`` field (exact set match).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

from mmtkit.errors import MmtkitError
from mmtkit.messages import Channel, MessageKind, MessageReceived, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance import CATEGORIES
from mmtkit.plugins.compliance.analysis import default_matcher
from mmtkit.policy import AdCreative, HistoryItem, PolicyContext, PolicyEngine

__all__ = ["CategoryScore", "CorpusError", "CorpusLine", "EvalReport", "context_from_json",
           "evaluate", "read_corpus"]


class CorpusError(MmtkitError, ValueError):
    """A corpus line that cannot be read; the message names the file and line number."""


@frozen(kw_only=True)
class CorpusLine:
    id: str
    channel: Channel
    text: str
    labels: frozenset[str]
    context: PolicyContext
    inbound: bool = False
    signals: frozenset[str] | None = None
    lang: str | None = None


_CONTEXT_KEYS = frozenset({"ad_creative", "locale", "history"})
_CREATIVE_KEYS = frozenset({"brand", "offer", "price", "currency", "free"})


def _history(raw: Any) -> tuple[HistoryItem, ...]:
    if not isinstance(raw, list):
        raise CorpusError("context.history must be a list of {text, at, from_business}")
    items = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise CorpusError("each context.history item needs a 'text' string")
        at = datetime.fromisoformat(entry["at"]) if entry.get("at") else datetime.now(UTC)
        items.append(HistoryItem(text=entry["text"], at=at if at.tzinfo else at.replace(
            tzinfo=UTC), from_business=bool(entry.get("from_business", True))))
    return tuple(items)


def context_from_json(
    channel: Channel, raw: Mapping[str, Any] | None, *, strict: bool = True
) -> PolicyContext:
    """A :class:`PolicyContext` from the corpus/CLI JSON form ``{"ad_creative": {...},
    "locale": "id-ID", "history": [{"text": ..., "at": "2026-01-01T10:00:00+00:00"}]}``.

    ``strict`` (the CLI's ``--context``) refuses unknown keys so a typo does not silently do
    nothing; a corpus is read leniently (unknown keys are ignored with a warning), so one
    extra field in someone else's corpus does not stop a whole evaluation."""
    raw = raw or {}
    unknown = set(raw) - _CONTEXT_KEYS
    if unknown:
        message = f"unknown context key(s) {sorted(unknown)}; known: {sorted(_CONTEXT_KEYS)}"
        if strict:
            raise CorpusError(message)
        warnings.warn(f"{message} (ignored)", stacklevel=2)
    creative = raw.get("ad_creative")
    ad = None
    if creative is not None:
        if not isinstance(creative, dict):
            raise CorpusError("context.ad_creative must be an object")
        extra = set(creative) - _CREATIVE_KEYS
        if extra:
            message = f"unknown ad_creative key(s) {sorted(extra)}; known: {sorted(_CREATIVE_KEYS)}"
            if strict:
                raise CorpusError(message)
            warnings.warn(f"{message} (ignored)", stacklevel=2)
        ad = AdCreative(**{k: v for k, v in creative.items() if k in _CREATIVE_KEYS})
    history = _history(raw["history"]) if raw.get("history") is not None else ()
    return PolicyContext(channel=channel, ad_creative=ad, locale=raw.get("locale"),
                         history=history)


def _line(raw: Any, where: str) -> CorpusLine:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: expected a JSON object")
    try:
        channel = Channel(raw.get("channel", "tiktok_shop"))
        text = raw["text"]
        labels = raw.get("labels", [])
        if not isinstance(text, str) or not isinstance(labels, list):
            raise CorpusError(f"{where}: 'text' must be a string and 'labels' a list")
        unknown = set(labels) - set(CATEGORIES)
        if unknown:  # scored as not clean; no per-category score for a category we lack
            warnings.warn(f"{where}: label(s) {sorted(unknown)} are not built-in categories",
                          stacklevel=2)
        signals = raw.get("signals")
        return CorpusLine(
            id=str(raw.get("id", where)),
            channel=channel,
            text=text,
            labels=frozenset(labels),
            context=context_from_json(channel, raw.get("context"), strict=False),
            inbound=raw.get("direction") == "inbound",
            signals=frozenset(signals) if isinstance(signals, list) else None,
            lang=raw.get("lang"),
        )
    except KeyError as exc:
        raise CorpusError(f"{where}: missing field {exc.args[0]!r}") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, CorpusError):
            raise
        raise CorpusError(f"{where}: {exc}") from None


def read_corpus(path: Path) -> list[CorpusLine]:
    """Every non-blank line of a JSONL corpus, parsed; fails on the first bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CorpusError(f"cannot read corpus {path}: {exc.strerror or exc}") from None
    lines: list[CorpusLine] = []
    for number, row in enumerate(text.splitlines(), start=1):
        if not row.strip():
            continue
        where = f"{path}:{number}"
        try:
            raw = json.loads(row)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: not JSON: {exc.msg}") from None
        lines.append(_line(raw, where))
    return lines


@frozen
class CategoryScore:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@frozen(kw_only=True)
class EvalReport:
    per_category: Mapping[str, CategoryScore]
    clean_total: int
    clean_flagged: int
    messages: int
    seconds: float
    inbound_total: int
    inbound_flagged: int
    signal_accuracy: float | None
    predictions: Mapping[str, frozenset[str]]
    signal_scores: CategoryScore | None = None
    """Micro precision and recall of the signals over the lines with a ``signals`` field."""

    @property
    def macro_f1(self) -> float:
        scores = list(self.per_category.values())
        return sum(s.f1 for s in scores) / len(scores) if scores else 0.0

    @property
    def clean_fp_rate(self) -> float:
        return self.clean_flagged / self.clean_total if self.clean_total else 0.0

    @property
    def messages_per_second(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else float("inf")

    def as_json(self) -> dict[str, Any]:
        return {
            "macro_f1": round(self.macro_f1, 4),
            "clean_fp_rate": round(self.clean_fp_rate, 4),
            "per_category": {
                name: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                       "f1": round(s.f1, 4), "tp": s.tp, "fp": s.fp, "fn": s.fn}
                for name, s in self.per_category.items()
            },
            "messages_per_second": round(self.messages_per_second, 1),
            "messages": self.messages,
            "clean_messages": self.clean_total,
            "clean_flagged": self.clean_flagged,
            "inbound_messages": self.inbound_total,
            "inbound_flagged": self.inbound_flagged,
            "signal_accuracy": (None if self.signal_accuracy is None
                                else round(self.signal_accuracy, 4)),
            "signal_precision": (None if self.signal_scores is None
                                 else round(self.signal_scores.precision, 4)),
            "signal_recall": (None if self.signal_scores is None
                              else round(self.signal_scores.recall, 4)),
        }


def _inbound_event(line: CorpusLine) -> MessageReceived:
    return MessageReceived(
        channel=line.channel, conversation_id=f"eval-{line.id}", customer_id="eval",
        timestamp=datetime.now(UTC), kind=MessageKind.TEXT, text=line.text,
    )


def _signal_scores(
    manager: PluginManager, lines: Sequence[CorpusLine]
) -> tuple[float, CategoryScore] | None:
    """Exact-set accuracy and micro precision/recall over the lines with ``signals``."""
    if not manager.implementations("mmt_extract_signals"):
        return None
    scored = [line for line in lines if line.signals is not None]
    if not scored:
        return None
    correct = tp = fp = fn = 0
    for line in scored:
        event = _inbound_event(line) if line.inbound else Text(line.text)
        found = frozenset(s.name for s in manager.hooks.extract_signals(event, None))
        expected = line.signals or frozenset()
        correct += found == expected
        tp += len(found & expected)
        fp += len(found - expected)
        fn += len(expected - found)
    return correct / len(scored), CategoryScore(tp, fp, fn)


def evaluate(
    lines: Iterable[CorpusLine],
    manager: PluginManager,
    engine: PolicyEngine | None = None,
    categories: Sequence[str] = CATEGORIES,
) -> EvalReport:
    engine = engine or PolicyEngine(manager.hooks)
    corpus = list(lines)
    outbound = [line for line in corpus if not line.inbound]
    predictions: dict[str, frozenset[str]] = {}
    for line in outbound:
        decision = engine.check_outbound(Text(line.text), line.context)
        predictions[line.id] = decision.categories
    # Throughput is timed on a second pass, once the lexicon, the automaton, the fold table
    # and the phone metadata are loaded, with the per-message analysis cache emptied each
    # time, in CPU time of this process (one core) so other load on the machine does not
    # count.
    clear = default_matcher().analyse.cache_clear
    started = time.process_time()
    for line in outbound:
        clear()
        engine.check_outbound(Text(line.text), line.context)
    seconds = time.process_time() - started
    inbound = [line for line in corpus if line.inbound]
    inbound_flagged = sum(
        1 for line in inbound if engine.check_inbound(_inbound_event(line), line.context).violations
    )
    scores: dict[str, CategoryScore] = {}
    for category in categories:
        tp = fp = fn = 0
        for line in corpus:
            predicted = category in predictions.get(line.id, frozenset())
            actual = category in line.labels
            tp += predicted and actual
            fp += predicted and not actual
            fn += actual and not predicted
        scores[category] = CategoryScore(tp, fp, fn)
    clean = [line for line in corpus if not line.labels]
    signals = _signal_scores(manager, corpus)
    clean_flagged = sum(1 for line in clean if predictions.get(line.id))
    return EvalReport(
        per_category=scores,
        clean_total=len(clean),
        clean_flagged=clean_flagged,
        messages=len(outbound),
        seconds=seconds,
        inbound_total=len(inbound),
        inbound_flagged=inbound_flagged,
        signal_accuracy=None if signals is None else signals[0],
        predictions=predictions,
        signal_scores=None if signals is None else signals[1],
    )
