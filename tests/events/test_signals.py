"""Keyword signals and the tracking id: what fires, what does not, and through the hooks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmtkit.attribution import PatternExtractor, attribute
from mmtkit.conversation import Conversation
from mmtkit.errors import ConfigError
from mmtkit.messages import (
    Channel,
    EchoSource,
    MessageEcho,
    MessageKind,
    MessageReceived,
    Template,
    Text,
)
from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.signals.keywords import (
    DEFAULT_SIGNALS,
    KeywordSignals,
    default_keyword_signals,
    load_signal_lexicon,
)
from mmtkit.plugins.signals.tracking_id import tracking_signal
from mmtkit.signals import Signal

CORPUS = Path(__file__).resolve().parents[2].parent / "shared/corpus/compliance-dev.jsonl"
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def names(text: str) -> set[str]:
    return {s.name for s in default_keyword_signals().find(text)}


def received(text: str, at: datetime = T0) -> MessageReceived:
    return MessageReceived(channel=Channel.WHATSAPP, conversation_id="c", customer_id="u",
                           timestamp=at, kind=MessageKind.TEXT, text=text)


def test_the_default_signals_are_defined() -> None:
    assert default_keyword_signals().names == frozenset(DEFAULT_SIGNALS)


def test_every_dev_corpus_signal_line_is_exact() -> None:
    lines = [json.loads(raw) for raw in CORPUS.read_text(encoding="utf-8").splitlines() if raw]
    scored = [line for line in lines if "signals" in line]
    assert len(scored) >= 15
    wrong = [(line["id"], sorted(names(line["text"])), line["signals"]) for line in scored
             if names(line["text"]) != set(line["signals"])]
    assert wrong == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I paid yesterday", {"payment"}),
        ("prepayment terms are in the contract", set()),  # whole words only
        ("P A Y M E N T received", {"payment"}),  # spaced out, like the compliance checks
        ("đã chuyển khoản rồi nhé", {"payment"}),
        ("da chuyen khoan roi", {"payment"}),  # accents dropped
        ("ชำระเงินแล้วค่ะ", {"payment"}),  # Thai: substring
        ("In order to help, tell me more", set()),  # an exception phrase
        ("in order to ship your order we need the address", {"order", "address"}),
        ("Magkano po ito?", {"price"}),
        ("¿Cuánto cuesta el envío?", {"price"}),
        ("Quero reservar uma mesa", {"booking"}),
        ("Gia đình tôi thích sản phẩm này", set()),  # "gia" is not a price here
        ("saya mau pengembalian dana", {"refund"}),
        ("ok thanks", set()),
    ],
)
def test_words_in_every_language(text: str, expected: set[str]) -> None:
    assert names(text) == expected


def test_in_and_out_of_every_carrier() -> None:
    keywords = default_keyword_signals()
    assert [s.name for s in keywords.extract(Text("your refund is on its way"))] == ["refund"]
    echo = MessageEcho(channel=Channel.TIKTOK, conversation_id="c", customer_id="u",
                       timestamp=T0, kind=MessageKind.TEXT, text="order shipped",
                       source=EchoSource.APP)
    assert [s.name for s in keywords.extract(echo)] == ["order"]
    assert [s.name for s in keywords.extract(Template("t", parameters=["price list"]))] == [
        "price"]


def test_signals_are_flags_with_a_source_and_no_text() -> None:
    [signal] = default_keyword_signals().find("can I pay by card")
    assert signal == Signal("payment", True, "keyword_signals")


def test_choosing_and_extending_signals(tmp_path: Path) -> None:
    (tmp_path / "extra.toml").write_text(
        '[concepts.warranty]\nen = ["warranty", "guarantee*"]\n', encoding="utf-8"
    )
    lexicon = load_signal_lexicon([tmp_path])
    keywords = KeywordSignals(lexicon, signals=["warranty", "payment"])
    assert {s.name for s in keywords.find("is there a guarantee? I paid")} == {
        "warranty", "payment"}
    assert keywords.find("what's the price") == []  # not chosen
    with pytest.raises(ConfigError, match="unknown signal"):
        KeywordSignals(lexicon, signals=["nope"])


def test_the_hooks_run_both_signal_plugins() -> None:
    manager = PluginManager.with_entry_points()
    found = manager.hooks.extract_signals(received("ttclid: E.C.P.abc12345 how much is it?"), None)
    assert Signal("price", True, "keyword_signals") in found
    assert Signal("tracking_id", "E.C.P.abc12345", "tracking_id") in found


@given(st.text(max_size=300))
@settings(max_examples=150, deadline=None)
def test_any_text_gives_known_flags_only(text: str) -> None:
    for signal in default_keyword_signals().find(text):
        assert signal.name in DEFAULT_SIGNALS
        assert signal.value is True


# --- tracking id ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi! I'm interested [ttclid: E.C.P.cq1vA9nB2x]", "E.C.P.cq1vA9nB2x"),
        ("tracking id = 7401234567890123", "7401234567890123"),
        ("TT_ID#abc-DEF_12345", "abc-DEF_12345"),
        ("my id is 12345678", None),  # unlabelled numbers are not tracking ids
        ("ttclid: short", None),
    ],
)
def test_default_pattern(text: str, expected: str | None) -> None:
    assert PatternExtractor()(text) == expected


def test_custom_pattern_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    assert PatternExtractor(r"REF-(\d{6})")("hello REF-123456") == "123456"
    with pytest.raises(ConfigError):
        PatternExtractor("(")
    with pytest.raises(ConfigError, match="group"):
        PatternExtractor(r"\d+")
    monkeypatch.setenv("MMTKIT_TRACKING_ID_PATTERN", r"#T(?P<id>\w{4,})")
    assert tracking_signal(received("hi #Tabcd1"), None) == Signal(
        "tracking_id", "abcd1", "tracking_id")


def test_tracking_id_only_from_the_first_customer_message() -> None:
    first = received("ttclid: E.C.P.first0001")
    conv = Conversation.from_event(first)
    assert tracking_signal(first, conv) is not None
    later = received("ttclid: E.C.P.later0002", at=datetime(2026, 3, 1, 13, tzinfo=UTC))
    assert tracking_signal(later, conv.apply(later)) is None
    assert tracking_signal(Text("ttclid: E.C.P.first0001"), conv) is None  # outbound


def test_attribute_records_the_first_tracking_id() -> None:
    conv = Conversation.from_event(received("hi"))
    conv = attribute(conv, [Signal("payment"), Signal("tracking_id", "E.C.P.first0001")])
    assert conv.attribution is not None
    assert conv.attribution.tracking_id == "E.C.P.first0001"
    again = attribute(conv, [Signal("tracking_id", "E.C.P.other0002")])
    assert again.attribution is not None
    assert again.attribution.tracking_id == "E.C.P.first0001"


def test_eval_reports_signal_precision_and_recall() -> None:
    from click.testing import CliRunner

    from mmtkit.cli import build_cli

    manager = PluginManager.with_entry_points()
    result = CliRunner().invoke(build_cli(manager), ["eval", "--corpus", str(CORPUS), "--json"],
                                obj=manager)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["signal_precision"] >= 0.9
    assert report["signal_recall"] >= 0.9
