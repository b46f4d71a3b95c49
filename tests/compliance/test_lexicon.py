"""Lexicons are data: the built-ins load, users extend them, and mistakes are explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmtkit.messages import Channel
from mmtkit.plugins.compliance import CATEGORIES, check
from mmtkit.plugins.compliance.analysis import Analysis, Matcher
from mmtkit.plugins.compliance.lexicon import LexiconError, RuleSpec, build_lexicon, load_lexicon
from mmtkit.plugins.compliance.rule_tables import rewrite
from mmtkit.plugins.compliance.rules import Finding, evaluate, new_finding
from mmtkit.policy import PolicyContext
from mmtkit.textnorm import accent_form, accents_agree, normalize_term


def test_every_category_has_rules_with_a_clause_and_an_explanation() -> None:
    lexicon = load_lexicon(env={})
    for category in CATEGORIES:
        rules = lexicon.rules_for(category)
        assert rules, category
        for rule in rules:
            assert rule.rule_id.startswith(f"{category}.")
            assert rule.policy.startswith(("TikTok Shop Customer Service Guidelines",
                                           "TikTok Messaging Ads Policies"))
            assert rule.explanation.endswith(".")


def _lexicon(tmp_path: Path, extra: str) -> Matcher:
    (tmp_path / "mine.toml").write_text(extra, encoding="utf-8")
    return Matcher(load_lexicon(env={"MMTKIT_LEXICON_PATH": str(tmp_path)}))


def test_users_add_terms_and_rules_from_their_own_folder(tmp_path: Path) -> None:
    matcher = _lexicon(tmp_path, """
category = "prohibited_product"

[concepts.drug]
en = ["moon rocks"]

[concepts.fireworks]
en = ["sky lantern*"]

[[rules]]
id = "fireworks"
all = ["fireworks"]
severity = "warn"
policy = "TikTok Shop Customer Service Guidelines 4.2.3 (local addition)"
explanation = "Offers fireworks, which our marketplace does not allow."
""")
    drugs = matcher.lexicon.rule("prohibited_product.drugs")
    fireworks = matcher.lexicon.rule("prohibited_product.fireworks")
    assert evaluate(drugs, matcher.analyse("We also have moon rocks in stock")) is not None
    assert evaluate(fireworks, matcher.analyse("Sky lanterns, 10 for $5")) is not None
    assert evaluate(fireworks, matcher.analyse("Lanterns for the sky")) is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[rules]]\nid = 'x'\nall = ['nothing']\nseverity = 'block'\npolicy = 'p'\n"
         "explanation = 'e'\ncategory = 'c'\n", "unknown concept"),
        ("category = 'c'\n[[rules]]\nid = 'x'\nall = ['a']\nseverity = 'fatal'\npolicy = 'p'\n"
         "explanation = 'e'\n[concepts.a]\nen = ['a']\n", "severity must be"),
        ("category = 'c'\n[[rules]]\nid = 'x'\nwhen = ['a']\n", "unknown rule key"),
        ("[concepts.a]\nen = 5\n", "must be a list of strings"),
        ('[concepts.a]\nen = ["\\u200b"]\n', "folds to nothing"),
        ("not = toml = at all", "not valid UTF-8 TOML"),
    ],
)
def test_mistakes_are_explained(content: str, message: str) -> None:
    with pytest.raises(LexiconError) as raised:
        build_lexicon([("mine.toml", content.encode())])
    assert "mine.toml" in str(raised.value)
    assert message in str(raised.value)


def test_a_missing_extension_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="is not a folder"):
        load_lexicon(env={"MMTKIT_LEXICON_PATH": str(tmp_path / "nope")})


def test_thai_terms_match_inside_words_latin_terms_only_whole_words() -> None:
    matcher = Matcher(load_lexicon(env={}))
    assert "contact_app" in matcher.analyse("แอดไลน์ร้านได้เลย").hits
    assert "insult" not in matcher.analyse("a stupidity-free zone").hits
    assert "insult" in matcher.analyse("so stupid!").hits


def test_every_rule_is_documented() -> None:
    """The page's rule tables are what the lexicons say, rule for rule."""
    path = Path(__file__).resolve().parents[2] / "docs/compliance.md"
    page = path.read_text(encoding="utf-8")
    lexicon = load_lexicon(env={})
    missing = [r.rule_id for r in lexicon.rules if f"`{r.rule_id}`" not in page]
    assert not missing, f"document these rules in docs/compliance.md: {missing}"
    assert rewrite(page, lexicon) == page, (
        "docs/compliance.md's rule tables differ from the lexicons; run "
        "`.venv/bin/python -m mmtkit.plugins.compliance.rule_tables docs/compliance.md`"
    )


def test_a_term_written_with_accents_needs_the_same_accents_or_none(tmp_path: Path) -> None:
    """Folding accents makes Vietnamese words of opposite meaning one ("đồ ngu", an insult,
    and "đồ ngủ", sleepwear); a term written with its accents tells them apart and still
    matches text typed without any."""
    matcher = _lexicon(tmp_path, """
[concepts.vi_insult]
vi = ["đồ ngu"]

[concepts.vi_unaccented]
vi = ["mat khau"]

[concepts.vi_delete]
vi = ["xóa giúp"]

[concepts.vi_dont]
vi = ["đừng"]
""")

    def found(text: str, concept: str) -> bool:
        return concept in matcher.analyse(text).hits

    assert found("Chị đúng là đồ ngu", "vi_insult")
    assert found("chi dung la do ngu", "vi_insult")
    assert found("ĐỒ NGU", "vi_insult")
    assert not found("Bộ đồ ngủ cotton size M", "vi_insult")
    assert found("xoá giúp em", "vi_delete")  # the tone mark may sit on either vowel
    assert found("xóa giúp em", "vi_delete")
    assert not found("dùng giúp em", "vi_dont")  # use, not don't
    assert found("đừng giúp em", "vi_dont")
    assert found("mật khẩu", "vi_unaccented")
    assert found("mat khau", "vi_unaccented")


_VIETNAMESE = "aeiouydđăâêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ "


@given(st.text(alphabet=_VIETNAMESE, min_size=1, max_size=12))
def test_accents_agree_with_text_typed_as_the_term_or_without_accents(term: str) -> None:
    form = accent_form(term)
    if form is None:
        return
    assert accents_agree(term, form)
    assert accents_agree(term.upper(), form)
    assert accents_agree(normalize_term(term), form)  # the same words typed plainly


def test_a_python_rule_keeps_quiet_where_its_unless_concepts_occur(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check, "_CHECKS", {})  # the demo category leaves no trace
    spec = RuleSpec(rule_id="demo.python", category="demo", severity="warn", policy="p",
                    explanation="e", python=True, unless=("scam_warning",))

    def always(analysis: Analysis, context: PolicyContext) -> list[Finding]:
        return [new_finding(spec, ((0, 4),))]

    demo = check.CategoryCheck("demo", [always])
    context = PolicyContext(channel=Channel.TIKTOK_SHOP)
    assert [f.rule for f in demo.findings("Open the file I sent you", context)] == [spec]
    assert demo.findings("Scammers send files like this one; never open them", context) == []


def test_settings_and_rules_follow_the_lexicon_in_use(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The Python rules read settings and rules from a view made once per lexicon: a new
    lexicon (another MMTKIT_LEXICON_PATH) is seen at once, and the old one again after."""
    from mmtkit.plugins.compliance import link_rules
    from mmtkit.plugins.compliance.analysis import default_matcher

    (tmp_path / "mine.toml").write_text("""
category = "off_platform_diversion"

[settings]
allowed_domains = ["mybrand.com"]
channels = ["tiktok", "whatsapp"]
""", encoding="utf-8")
    text = "Shop on mybrand.com/shop or shop2.net/x"

    def linked(channel: Channel) -> list[str]:
        analysis = default_matcher().analyse(text)
        found = link_rules.contact_details(analysis, PolicyContext(channel=channel))
        return [analysis.text[a:b] for f in found for a, b in f.ranges]

    assert check.setting("off_platform_diversion", "allowed_domains", None) != ["mybrand.com"]
    before = linked(Channel.TIKTOK)
    assert "mybrand.com/shop" in before
    assert linked(Channel.WHATSAPP) == []
    monkeypatch.setenv("MMTKIT_LEXICON_PATH", str(tmp_path))
    default_matcher.cache_clear()
    try:
        assert check.setting("off_platform_diversion", "allowed_domains", None) == [
            "mybrand.com"]
        assert check.setting("off_platform_diversion", "no such key", 42) == 42
        assert linked(Channel.TIKTOK) == ["shop2.net/x"]
        assert linked(Channel.WHATSAPP) == ["shop2.net/x"]
        assert check.finding("off_platform_diversion.contact_details", []).rule is (
            default_matcher().lexicon.rule("off_platform_diversion.contact_details"))
        with pytest.raises(LexiconError, match=r"no rule 'off_platform_diversion\.nope'"):
            check.finding("off_platform_diversion.nope", [])
    finally:
        monkeypatch.delenv("MMTKIT_LEXICON_PATH")
        default_matcher.cache_clear()
    assert linked(Channel.TIKTOK) == before


def test_violations_follow_a_rule_read_again_under_the_same_id(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A violation is made from the rule that fired, never from an earlier rule of the same
    id: a lexicon that replaces a rule changes the violations at once, and back after."""
    from mmtkit.messages import Text
    from mmtkit.plugin_manager import PluginManager
    from mmtkit.plugins.compliance.analysis import default_matcher
    from mmtkit.policy import PolicyEngine, Severity

    (tmp_path / "mine.toml").write_text("""
category = "off_platform_diversion"

[[rules]]
id = "contact_details"
python = true
channels = ["tiktok", "tiktok_shop"]
severity = "warn"
policy = "House rules 1.1"
explanation = "Shares contact details; the team reviews these by hand."
""", encoding="utf-8")
    engine = PolicyEngine(PluginManager.with_entry_points(env={}).hooks)
    context = PolicyContext(channel=Channel.TIKTOK_SHOP)

    def contact_violation(text: str) -> tuple[Severity, str, str]:
        found = [v for v in engine.check_outbound(Text(text), context).violations
                 if v.rule_id == "off_platform_diversion.contact_details"]
        assert len(found) == 1
        return found[0].severity, found[0].explanation, found[0].policy_ref

    built_in = contact_violation("Order updates at shop2.net/track")
    assert built_in[0] is Severity.BLOCK
    monkeypatch.setenv("MMTKIT_LEXICON_PATH", str(tmp_path))
    default_matcher.cache_clear()
    try:
        assert contact_violation("Order news at shop3.net/track") == (
            Severity.WARN, "Shares contact details; the team reviews these by hand.",
            "House rules 1.1")
    finally:
        monkeypatch.delenv("MMTKIT_LEXICON_PATH")
        default_matcher.cache_clear()
    assert contact_violation("Order notes at shop4.net/track") == built_in
