"""The rule tables of ``docs/compliance.md``, written from the lexicons.

Every rule lives in a lexicon file with its explanation, clause and severity; the page shows
them per category. A test keeps the page equal to what this module writes, so a rule added
to a lexicon cannot go undocumented. After changing a built-in lexicon, rewrite the tables::

    .venv/bin/python -m mmtkit.plugins.compliance.rule_tables docs/compliance.md
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from mmtkit.plugins.compliance import CATEGORIES
from mmtkit.plugins.compliance.lexicon import Lexicon, RuleSpec, load_lexicon

__all__ = ["END", "START", "rewrite", "rule_tables"]

START = "<!-- rules:start -->"
END = "<!-- rules:end -->"


def _needs(rule: RuleSpec) -> str:
    if rule.python:
        needs = "computed in Python"
    else:
        concepts = " + ".join(f"`{c}`" for c in rule.all)
        needs = f"needs {concepts} in one {rule.scope}"
    if rule.channels:
        needs += f"; {', '.join(sorted(rule.channels))} only"
    return needs


def _row(rule: RuleSpec) -> str:
    name = f"`{rule.rule_id}`"
    if rule.direction == "inbound":
        name += " (inbound, flag only)"
    return (f"| {name} | {rule.explanation} *({_needs(rule)})* | {rule.policy} | "
            f"{rule.severity.value} |")


def rule_tables(lexicon: Lexicon, categories: Sequence[str] = CATEGORIES) -> str:
    """One markdown table per category, rules in lexicon order."""
    known = list(categories) + sorted({r.category for r in lexicon.rules} - set(categories))
    parts: list[str] = []
    for category in known:
        rules = lexicon.rules_for(category)
        if not rules:
            continue
        parts.append(f"### `{category}`\n\n| rule | what it catches | clause | severity |\n"
                     "|---|---|---|---|\n" + "\n".join(_row(r) for r in rules) + "\n")
    return "\n".join(parts)


def rewrite(page: str, lexicon: Lexicon) -> str:
    """``page`` with the text between the two markers replaced by :func:`rule_tables`."""
    head, start, rest = page.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise ValueError(f"the page needs the markers {START} and {END}")
    return f"{head}{START}\n{rule_tables(lexicon)}\n{END}{tail}"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: python -m mmtkit.plugins.compliance.rule_tables docs/compliance.md",
              file=sys.stderr)
        return 2
    path = Path(args[0])
    path.write_text(rewrite(path.read_text(encoding="utf-8"), load_lexicon(env={})),
                    encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
