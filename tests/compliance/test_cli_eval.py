"""``mmtkit check`` and ``mmtkit eval``, and the thresholds on the development corpus."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from mmtkit.cli import build_cli
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance.evaluation import CorpusError, evaluate, read_corpus

CORPUS = Path(__file__).resolve().parents[2].parent / "shared/corpus/compliance-dev.jsonl"


def _run(manager: PluginManager, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(build_cli(manager), list(args), obj=manager)
    return result.exit_code, result.output


def test_check_prints_decision_and_violations(manager: PluginManager) -> None:
    code, out = _run(manager, "check", "Send me the OTP from your SMS please")
    assert code == 0
    assert out.startswith("decision: block")
    assert "sensitive_data_request.credentials" in out
    assert "TikTok Messaging Ads Policies" in out


def test_check_uses_channel_and_context(manager: PluginManager) -> None:
    ad = json.dumps({"ad_creative": {"brand": "Lumi", "offer": "Free sample", "free": True}})
    code, out = _run(manager, "check", "--json", "--channel", "whatsapp", "--context", ad,
                     "The sample costs $5, call me on +60 12 345 6789")
    assert code == 0
    decision = json.loads(out)
    assert decision["decision"] == "block"
    assert {v["category"] for v in decision["violations"]} == {"creative_mismatch"}


def test_check_refuses_bad_context(manager: PluginManager) -> None:
    code, out = _run(manager, "check", "--context", '{"ad": {}}', "hello")
    assert code == 2
    assert "unknown context key" in out


def test_check_jsonl_writes_one_object_per_line(manager: PluginManager, tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps({"id": "a", "channel": "tiktok", "text": "DM me on IG @shop", "labels": []})
        + "\n\n"
        + json.dumps({"id": "b", "channel": "tiktok", "text": "you idiots", "labels": [],
                      "direction": "inbound"})
        + "\n",
        encoding="utf-8",
    )
    code, out = _run(manager, "check", "--jsonl", str(corpus))
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["labels"] == ["off_platform_diversion"]
    assert rows[0]["violations"][0]["spans"]
    assert rows[1] == {"id": "b", "labels": [], "violations": []}  # inbound: never outbound


def test_corpus_errors_name_the_line(tmp_path: Path) -> None:
    corpus = tmp_path / "bad.jsonl"
    corpus.write_text('{"id": "x", "text": "hi"}\n{"id": "y"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad\.jsonl:2: missing field 'text'"):
        read_corpus(corpus)


def test_corpus_extras_are_warned_about_not_fatal(tmp_path: Path) -> None:
    corpus = tmp_path / "extra.jsonl"
    line = {"id": "x", "channel": "tiktok", "text": "New hoodies 20% off!", "labels": ["spam"],
            "context": {"campaign": "x", "history": [
                {"text": "Jackets 30% off!", "at": "2026-01-01T10:00:00+00:00"}]}}
    corpus.write_text(json.dumps(line), encoding="utf-8")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        (parsed,) = read_corpus(corpus)
    messages = " ".join(str(w.message) for w in caught)
    assert "campaign" in messages
    assert "spam" in messages
    assert parsed.labels == {"spam"}
    assert len(parsed.context.history) == 1


def test_eval_meets_the_thresholds_on_the_dev_corpus(manager: PluginManager) -> None:
    assert CORPUS.is_file(), f"the measurement corpus is missing: {CORPUS}"
    code, out = _run(manager, "eval", "--corpus", str(CORPUS), "--json")
    assert code == 0, out
    summary = json.loads(out.splitlines()[-1])
    assert set(summary) >= {"macro_f1", "clean_fp_rate", "per_category", "messages_per_second"}
    assert summary["macro_f1"] >= 0.92
    assert summary["clean_fp_rate"] <= 0.02
    assert len(summary["per_category"]) == 11
    assert "macro-F1" in out
    assert "signal accuracy" in out


def test_eval_counts_inbound_lines_as_clean(manager: PluginManager, tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    lines = [
        {"id": "1", "channel": "tiktok_shop", "text": "Send me your password", "labels": [
            "sensitive_data_request", "fraud_scam"]},
        {"id": "2", "channel": "tiktok_shop", "text": "you idiots, refund me now",
         "labels": [], "direction": "inbound"},
        {"id": "3", "channel": "tiktok_shop", "text": "Your parcel ships today.", "labels": []},
    ]
    corpus.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    report = evaluate(read_corpus(corpus), manager)
    assert report.clean_total == 2
    assert report.clean_flagged == 0
    assert report.inbound_flagged == 1
    assert report.per_category["sensitive_data_request"].tp == 1
    assert report.per_category["fraud_scam"].recall == 1.0
    code, output = _run(manager, "eval", "--corpus", str(corpus))
    assert code == 0
    assert "signal accuracy: n/a (no line of the corpus has a 'signals' field)" in output


FRESH = Path(__file__).with_name("fresh_messages.jsonl")


def test_fresh_messages_written_apart_from_the_corpus(manager: PluginManager) -> None:
    """Messages written for these tests in all eight languages, none from the measurement
    corpus; several rounds of them drove the lexicons towards general rules, and they keep
    those rules from regressing."""
    report = evaluate(read_corpus(FRESH), manager)
    assert report.macro_f1 >= 0.95, report.as_json()
    # One clean line gets a warning from the message model: "Sure, send the deposit to our
    # account and we'll confirm your cake order." reads like a scam's deposit request.
    assert report.clean_flagged <= 1, report.as_json()
