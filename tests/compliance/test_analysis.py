"""The shared analysis: sentence and clause boundaries, and one pass serving every category."""

from __future__ import annotations

import re

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mmtkit.messages import Channel, Text
from mmtkit.plugins.compliance import analysis
from mmtkit.policy import PolicyContext, PolicyEngine

from .conftest import Check

# The boundaries as a plain alternation: what the fast patterns in ``analysis`` must match.
# A spaced dash is a dash after a space (not a new line) and before one.
REFERENCE_SENTENCE_END = re.compile(
    "[.!?\u3002\uff01\uff1f]+(?=\\s|$)|[!?\\n;]+|(?<=[^\\S\\n])[-\u2013\u2014]\\s|[()\\[\\]]"
)
REFERENCE_CLAUSE_END = re.compile(
    "[.!?\u3002\uff01\uff1f]+(?=\\s|$)|[!?\\n;,:]+|(?<=[^\\S\\n])[-\u2013\u2014]\\s"
    "|[()\\[\\]\u2013\u2014\u2600-\u27bf\U0001f300-\U0001faff]"
    "|(?<=[\u0e00-\u0e7f]) +(?=[\u0e00-\u0e7f])"
)
_PIECES = st.sampled_from(
    [*"ab .!?;,:-\u2013\u2014()[]\n\t\u3002\uff01\uff1f", "ก", "ข", "  ", "...", " - ", "1",
     "\U0001f605", "\u2764", "\ufe0f"]
)


@settings(max_examples=3000)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_boundaries_are_the_plain_alternation(text: str) -> None:
    def ends(pattern: re.Pattern[str]) -> list[int]:
        return [m.end() for m in pattern.finditer(text)]

    assert ends(analysis._SENTENCE_END) == ends(REFERENCE_SENTENCE_END)
    assert analysis.clause_end_positions(text) == ends(REFERENCE_CLAUSE_END)


def test_units_split_sentences_and_clauses() -> None:
    found = analysis.default_matcher().analyse("Hello there, friend. Send it now - thanks")
    hello, friend, send, thanks = 0, 13, 21, 35
    assert found.unit("sentence", hello) == found.unit("sentence", friend)
    assert found.unit("sentence", friend) != found.unit("sentence", send)
    assert found.unit("sentence", send) != found.unit("sentence", thanks)
    assert found.unit("clause", hello) != found.unit("clause", friend)
    assert found.unit("message", hello) == found.unit("message", thanks)
    text = found.text
    assert text[slice(*found.unit_range("clause", friend))].strip() == "friend."
    assert text[slice(*found.unit_range("sentence", thanks))] == "thanks"
    assert found.unit_range("message", send) == (0, len(text))


def test_one_run_serves_every_category_but_not_another_context(check: Check) -> None:
    """The first category plugin runs every category's rules and keeps them for that exact
    context; the same text in another context is judged again."""
    text = "Chat with us on WhatsApp +62 812 3456 7890 for a faster reply"
    assert "off_platform_diversion" in check(text, "tiktok_shop").categories
    assert "off_platform_diversion" not in check(text, "whatsapp").categories
    assert "off_platform_diversion" in check(text, "tiktok_shop").categories


def test_the_same_content_object_in_two_contexts(engine: PolicyEngine) -> None:
    content = Text("Please pay by bank transfer to BCA 000 111 2222 instead of the app")
    shop = engine.check_outbound(content, PolicyContext(channel=Channel.TIKTOK_SHOP))
    whatsapp = engine.check_outbound(content, PolicyContext(channel=Channel.WHATSAPP))
    again = engine.check_outbound(content, PolicyContext(channel=Channel.TIKTOK_SHOP))
    assert shop == again
    assert {v.rule_id for v in whatsapp.violations} < {v.rule_id for v in shop.violations}


def test_threads_sharing_the_cached_analyses_get_the_sequential_answers(
    engine: PolicyEngine,
) -> None:
    """Analyses are cached and shared, and the last run is kept by identity: threads that
    check the same texts in other channels at the same time must still get their own
    answers."""
    import random
    import threading

    texts = ["Chat with us on WhatsApp +62 812 3456 7890",
             "Send me the OTP you just received",
             "Your parcel ships today, thank you!",
             "FLASH SALE 70% off everything, buy now!!!"]
    expected = {(t, c): engine.check_outbound(Text(t), PolicyContext(channel=c))
                for t in texts for c in Channel}
    wrong: list[tuple[str, Channel]] = []

    def work(seed: int) -> None:
        pick = random.Random(seed)
        for _ in range(300):
            text, channel = pick.choice(texts), pick.choice(list(Channel))
            if engine.check_outbound(Text(text), PolicyContext(channel=channel)) != expected[
                (text, channel)
            ]:
                wrong.append((text, channel))

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def _fee_negated(text: str) -> list[bool]:
    found = analysis.default_matcher()._analyse(text)
    return [found.negated(hit, "fee") for hit in found.hits.get("fee", [])]


def test_a_bare_no_cancels_a_charge_one_word_after_it() -> None:
    assert _fee_negated("no joining fee, the first month is on us") == [True]
    assert _fee_negated("no fee") == [True]
    # Not further away, not across a comma, and not "no problem" and its kin.
    assert _fee_negated("no, you pay the admin fee first") == [False]
    assert _fee_negated("no problem pay the fee first") == [False]
    assert _fee_negated("no worries the fee is small") == [False]


def test_a_bare_no_does_not_cancel_what_is_asked_about(check: Check) -> None:
    text = "Before we ship, please confirm you have no criminal record and your year of birth."
    assert "sensitive_data_request" in check(text).categories


def test_a_bare_no_cancels_goods_only_right_after_it(check: Check) -> None:
    clean = check("No vapes, no replicas: only the real thing.")
    assert "prohibited_product" not in clean.categories
    assert "prohibited_product" in check("No prescription xanax, DM me for the price.").categories


_ITEM = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=8)


def _plain_items(items: list[str]) -> bool:
    """Items that are neither negation cues nor charges themselves ("tak", "fees")."""
    hits = analysis.default_matcher()._analyse(" ".join(items)).hits
    return not ({analysis.NEGATION, analysis.NEGATION_NEAR, "fee"} & hits.keys())


@settings(max_examples=60, deadline=None)
@given(st.lists(_ITEM, min_size=1, max_size=3), st.sampled_from(["or", "nor"]))
def test_a_bare_no_cancels_the_last_item_of_an_or_list(items: list[str], joiner: str) -> None:
    assume(_plain_items(items))
    listed = ", ".join(items)
    found = analysis.default_matcher()._analyse(f"no {listed} {joiner} fee at all")
    fees = [h for h in found.hits.get("fee", []) if found.text[h[0]:h[1]] == "fee"]
    assert fees
    assert all(found.negated(hit, "fee") for hit in fees)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ITEM, min_size=2, max_size=3))
def test_commas_alone_make_no_list_for_a_bare_no(items: list[str]) -> None:
    assume(_plain_items(items))
    found = analysis.default_matcher()._analyse(f"no {', '.join(items)}, fee at all")
    fees = [h for h in found.hits.get("fee", []) if found.text[h[0]:h[1]] == "fee"]
    assert fees
    assert not any(found.negated(hit, "fee") for hit in fees)


def test_an_emoji_ends_a_clause(check: Check) -> None:
    # Chat uses emoji as punctuation: the "isn't" before it does not negate what follows.
    text = ("Our tracker isn't on Play Store yet \U0001f605 get it from rb.gy/trk-apk and tick "
            "'Install unknown apps'.")
    assert "malware.unsafe_install" in {v.rule_id for v in check(text).violations}


def test_a_comma_or_colon_inside_a_number_does_not_end_a_clause() -> None:
    found = analysis.default_matcher()._analyse("it is 3,999 at 10:30, thanks")
    assert found.clause_ends == [len("it is 3,999 at 10:30,")]


def test_a_short_accented_term_needs_its_accents() -> None:
    matcher = analysis.default_matcher()
    short = [t for t in matcher.lexicon.terms if t.accented and len(t.text) <= 3]
    assert short, "the lexicons hold short accented terms (Vietnamese 'bể', 'vỡ')"
    for term in short:
        typed_plain = matcher._analyse(f"x {term.text} x").hits.get(term.concept, [])
        assert (2, 2 + len(term.text)) not in typed_plain, term
        typed = matcher._analyse(f"x {term.accented} x").hits.get(term.concept, [])
        assert (2, 2 + len(term.text)) in typed, term
