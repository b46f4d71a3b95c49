"""``mmtkit check`` and ``mmtkit eval``: the compliance checks from the command line.

``mmtkit check TEXT [--channel C] [--context JSON]`` prints the decision and each violation
(rule, clause, explanation, the matched text); ``--json`` prints one JSON object instead.
``mmtkit check --jsonl FILE`` reads the corpus format and writes one JSON object per line:
``{"id": ..., "labels": [...], "violations": [...]}``, where ``labels`` are the predicted
categories. ``mmtkit eval --corpus FILE`` prints per-category precision, recall and F1,
macro-F1, the false-positive rate on clean messages, signal accuracy when a signals plugin is
loaded, and throughput; with ``--json`` its last line is a JSON object with ``macro_f1``,
``clean_fp_rate``, ``per_category`` and ``messages_per_second``.

Exit codes: 0 when the command ran (whatever the decision), 2 for bad arguments or an
unreadable corpus.
"""

from __future__ import annotations

import json
import sys
import tomllib
import warnings
from pathlib import Path
from typing import Any

import click

from mmtkit.errors import ConfigError
from mmtkit.hookspecs import hookimpl
from mmtkit.messages import Channel, Text
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance.evaluation import (
    CorpusError,
    context_from_json,
    evaluate,
    read_corpus,
)
from mmtkit.policy import Decision, PolicyConfig, PolicyEngine, Violation

__all__ = ["check_command", "eval_command"]

_CHANNELS = [c.value for c in Channel]


def _manager(ctx: click.Context) -> PluginManager:
    manager = ctx.find_object(PluginManager)
    if manager is None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            manager = PluginManager.with_entry_points()
        for warning in caught:
            click.echo(f"warning: {warning.message}", err=True)
        ctx.obj = manager
    return manager


def _engine(ctx: click.Context, config: Path | None) -> PolicyEngine:
    """The policy engine over every loaded plugin, configured from ``--config`` (a TOML file
    whose ``[policy]`` table, or top level, is a :meth:`PolicyConfig.from_mapping` table)."""
    policy = PolicyConfig()
    if config is not None:
        try:
            data = tomllib.loads(config.read_text(encoding="utf-8"))
            policy = PolicyConfig.from_mapping(data.get("policy", data), where=str(config))
        except (OSError, tomllib.TOMLDecodeError, ConfigError) as exc:
            raise click.BadParameter(str(exc), param_hint="--config") from None
    return PolicyEngine(_manager(ctx).hooks, policy)


_CONFIG = click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
                       default=None, help="Policy configuration (TOML): disabled rules, "
                       "severity overrides, per-channel tables.")


def violation_json(violation: Violation, text: str) -> dict[str, Any]:
    """A violation for output; matched text is included because the user typed it here."""
    return {
        "rule_id": violation.rule_id,
        "category": violation.category,
        "severity": violation.severity.value,
        "policy": violation.policy_ref,
        "explanation": violation.explanation,
        "spans": [{"start": s.start, "end": s.end, "text": s.text_in(text)}
                  for s in violation.spans],
    }


def _print_decision(decision: Decision, text: str) -> None:
    click.echo(f"decision: {decision.action.value}")
    for v in decision.violations:
        matched = ", ".join(repr(s.text_in(text)) for s in v.spans)
        click.echo(f"- {v.rule_id} [{v.severity.value}] {v.explanation}")
        click.echo(f"    policy: {v.policy_ref}")
        if matched:
            click.echo(f"    matched: {matched}")


@click.command("check")
@click.argument("text", required=False)
@click.option("--channel", type=click.Choice(_CHANNELS), default="tiktok_shop", show_default=True,
              help="The channel the message would be sent on.")
@click.option("--context", "context_json", default=None,
              help='JSON such as \'{"ad_creative": {"brand": "X", "free": true}}\'.')
@click.option("--jsonl", "jsonl", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Check every line of a corpus file instead of TEXT.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@_CONFIG
@click.pass_context
def check_command(ctx: click.Context, text: str | None, channel: str, context_json: str | None,
                  jsonl: Path | None, as_json: bool, config: Path | None) -> None:
    """Check one message (TEXT) or a corpus (--jsonl FILE) against the compliance plugins.

    Nothing is sent: this is the dry run of a send's policy step."""
    if (text is None) == (jsonl is None):
        raise click.UsageError("give either TEXT or --jsonl FILE")
    engine = _engine(ctx, config)
    if jsonl is not None:
        try:
            lines = read_corpus(jsonl)
        except CorpusError as exc:
            raise click.BadParameter(str(exc), param_hint="--jsonl") from None
        for line in lines:
            violations: list[Violation] = []
            if not line.inbound:
                violations = list(engine.check_outbound(Text(line.text), line.context).violations)
            click.echo(json.dumps({
                "id": line.id,
                "labels": sorted({v.category for v in violations}),
                "violations": [violation_json(v, line.text) for v in violations],
            }, ensure_ascii=False))
        return
    assert text is not None
    try:
        raw = json.loads(context_json) if context_json else None
        if raw is not None and not isinstance(raw, dict):
            raise CorpusError("--context must be a JSON object")
        context = context_from_json(Channel(channel), raw)
    except (json.JSONDecodeError, CorpusError) as exc:
        raise click.BadParameter(str(exc), param_hint="--context") from None
    decision = engine.check_outbound(Text(text), context)
    if as_json:
        click.echo(json.dumps({
            "decision": decision.action.value,
            "violations": [violation_json(v, text) for v in decision.violations],
        }, ensure_ascii=False))
    else:
        _print_decision(decision, text)


@click.command("eval")
@click.option("--corpus", "corpus", type=click.Path(path_type=Path, dir_okay=False),
              required=True, help="A labelled JSONL corpus.")
@click.option("--json", "as_json", is_flag=True,
              help="End with one line of JSON (macro_f1, clean_fp_rate, per_category, ...).")
@_CONFIG
@click.pass_context
def eval_command(ctx: click.Context, corpus: Path, as_json: bool, config: Path | None) -> None:
    """Score the compliance plugins on a labelled corpus."""
    try:
        lines = read_corpus(corpus)
    except CorpusError as exc:
        raise click.BadParameter(str(exc), param_hint="--corpus") from None
    manager = _manager(ctx)
    report = evaluate(lines, manager, _engine(ctx, config))
    header = ("category", "prec", "recall", "f1", "tp", "fp", "fn")
    click.echo("{:<24} {:>6} {:>6} {:>6} {:>4} {:>4} {:>4}".format(*header))
    for name, score in report.per_category.items():
        click.echo(f"{name:<24} {score.precision:6.3f} {score.recall:6.3f} {score.f1:6.3f} "
                   f"{score.tp:4d} {score.fp:4d} {score.fn:4d}")
    click.echo(f"macro-F1: {report.macro_f1:.4f}")
    click.echo(f"clean false-positive rate: {report.clean_fp_rate:.4f} "
               f"({report.clean_flagged}/{report.clean_total})")
    click.echo(f"inbound messages flagged (never blocked): {report.inbound_flagged}/"
               f"{report.inbound_total}")
    if report.signal_accuracy is None:
        why = ("no line of the corpus has a 'signals' field"
               if manager.implementations("mmt_extract_signals")
               else "no plugin implements mmt_extract_signals")
        click.echo(f"signal accuracy: n/a ({why})")
    else:
        click.echo(f"signal accuracy: {report.signal_accuracy:.4f}")
    if report.signal_scores is not None:
        click.echo(f"signal precision: {report.signal_scores.precision:.4f} "
                   f"recall: {report.signal_scores.recall:.4f}")
    click.echo(f"throughput: {report.messages_per_second:,.0f} messages/s of CPU time "
               f"({report.messages} outbound messages, all loaded checks)")
    if as_json:
        click.echo(json.dumps(report.as_json(), sort_keys=True))
    sys.stdout.flush()


@hookimpl
def mmt_register_commands(cli: click.Group) -> None:
    cli.add_command(check_command)
    cli.add_command(eval_command)
