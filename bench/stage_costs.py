"""What each stage of the compliance checks costs inside the engine's loop, not alone.

    .venv/bin/python bench/stage_costs.py [--corpus FILE] [--rounds N]

Timed alone, a stage runs with its data in the CPU caches; inside the loop, the other stages
have evicted it (the lexicon automaton alone has 361,000 nodes for 45,000 terms). This script
runs the engine over the corpus as ``bench/compliance.py`` does, once as it is and once per
stage with that stage run again on *another* message's text after each check, so the extra
work meets caches as cold as the real stage does. The difference is what the stage costs in
the loop, plus what its own data evicts from the others' (an upper bound of what it costs).
Variants are interleaved round by round, so a noisy machine slows them alike.

It answers "what would making this stage free buy?": a stage's cost here is the most that
speeding it up can save per message.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path

from mmtkit.messages import Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance import entities
from mmtkit.plugins.compliance.analysis import default_matcher
from mmtkit.plugins.compliance.evaluation import read_corpus
from mmtkit.plugins.compliance.model import default_model
from mmtkit.policy import PolicyEngine
from mmtkit.textnorm import normalize

DEFAULT_CORPUS = Path(__file__).resolve().parents[1].parent / "shared/corpus/compliance-dev.jsonl"
OFFSET = 113  # another message of the corpus: a prime, so no message is paired with itself


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)

    engine = PolicyEngine(PluginManager.with_entry_points(env={}).hooks)
    matcher = default_matcher()
    model = default_model()
    search = matcher._search
    lines = read_corpus(args.corpus)
    folded = [normalize(line.text).text for line in lines]
    items = [(Text(line.text), line.context, folded[(i + OFFSET) % len(lines)])
             for i, line in enumerate(lines)]
    stages: dict[str, Callable[[str], object]] = {
        "(the loop alone)": lambda text: None,
        "normalisation": normalize,
        "automaton scan": lambda text: list(search(text)),
        "whole analysis": matcher._analyse,
        "message model": model.flagged,
        "links, e-mails, phones": lambda text: (entities.urls(text), entities.emails(text),
                                                entities.phone_numbers(text)),
    }
    clear = matcher.analyse.cache_clear
    for content, context, _ in items:  # warm up
        engine.check_outbound(content, context)
    spent = dict.fromkeys(stages, 0.0)
    gc.collect()
    gc.freeze()  # the lexicon's objects: a full collection would land on one variant
    for _ in range(args.rounds):
        for name, stage in stages.items():
            started = time.process_time()
            for content, context, other in items:
                clear()
                engine.check_outbound(content, context)
                stage(other)
            spent[name] += time.process_time() - started
    messages = args.rounds * len(items)
    loop = spent["(the loop alone)"] / messages * 1e6
    print(f"corpus: {args.corpus} ({len(items)} messages x {args.rounds} rounds)")
    print(f"the engine's loop: {loop:.1f} us per message ({1e6 / loop:,.0f} messages/s)")
    for name, seconds in spent.items():
        if name == "(the loop alone)":
            continue
        extra = seconds / messages * 1e6 - loop
        print(f"{name:<24} {extra:6.1f} us per message in the loop ({extra / loop:6.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
