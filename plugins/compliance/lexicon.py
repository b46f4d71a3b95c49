"""Lexicons and rules as data: what each compliance check looks for, in every language.

The words and phrases live in TOML files (``lexicons/*.toml`` beside this module), one per
category plus ``common.toml`` for the cues every category shares (requests, negations,
payments...). Users extend them without touching code: every ``*.toml`` file in the folders
named by ``MMTKIT_LEXICON_PATH`` (``os.pathsep``-separated) is merged in, adding terms to a
concept or new rules. A file looks like::

    category = "off_platform_diversion"          # optional, for the rules below

    [concepts.contact_app]                        # terms per language (any key is accepted;
    en = ["whatsapp", "telegram", "wa.me"]        # use the language code for clarity)
    th = ["ไลน์"]

    [[rules]]
    id = "contact_app"                            # full rule id: "<category>.<id>"
    all = ["contact_app", "contact_verb"]         # concepts that must all occur ...
    scope = "sentence"                            # ... in one sentence | clause | message
    negatable = ["contact_verb"]                  # a negation just before cancels these hits
    severity = "block"
    policy = "TikTok Shop Customer Service Guidelines 4.2.2 (Diverting Traffic Off-Platform)"
    explanation = "Sends the customer to another messaging app."

Terms are normalised with :func:`mmtkit.textnorm.normalize_term`, so they may be written with
capitals, and text typed without accents matches them. A term written *with* accents matches
only text that has the same accents or none (``đồ ngu`` matches "đồ ngu" and "do ngu", not
"đồ ngủ"); write it without accents to match every accent. A Latin term matches whole words
only; ``*`` at its end (or start) allows any continuation (``bayar*`` matches ``bayarkan``).
Terms containing Thai letters match anywhere, because Thai has no spaces between words. A rule
with ``python = true`` is computed in the category's module (phone numbers, links, the ad
creative); its metadata still lives here, so configuration and documentation see every rule
the same way, and its ``unless`` concepts apply to it as to any rule (``unless =
["scam_warning"]`` keeps the message model quiet on a warning about scams).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import field, frozen

from mmtkit.errors import ConfigError
from mmtkit.policy import Severity
from mmtkit.textnorm import WORD_CHARS, accent_form, normalize_term

__all__ = ["LEXICON_PATH_ENV", "Lexicon", "LexiconError", "RuleSpec", "Term", "build_lexicon",
           "lexicon_sources", "load_lexicon"]

LEXICON_PATH_ENV = "MMTKIT_LEXICON_PATH"
SCOPES = frozenset({"sentence", "clause", "message"})


class LexiconError(ConfigError):
    """A lexicon file is malformed; the message names the file and the key."""


@frozen
class Term:
    """One normalised term of a concept."""

    text: str
    concept: str
    left_bound: bool
    right_bound: bool
    accented: str | None = None
    """The term with its diacritics (:func:`mmtkit.textnorm.accent_form`): the text must carry
    the same ones or none where it matches."""


@frozen(kw_only=True)
class RuleSpec:
    """One rule as written in a lexicon file (see the module docstring for the fields)."""

    rule_id: str
    category: str
    severity: Severity = field(converter=Severity)
    policy: str
    explanation: str
    all: tuple[str, ...] = ()
    scope: str = "sentence"
    negatable: tuple[str, ...] = ()
    none: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()
    within: int | None = None
    channels: frozenset[str] | None = None
    python: bool = False
    direction: str = "outbound"
    """``outbound`` (what the business sends) or ``inbound`` (customer behaviour, flagged)."""
    source: str = ""


@frozen
class Lexicon:
    """Every concept's terms and every rule, merged from the built-in and user files."""

    terms: tuple[Term, ...]
    rules: tuple[RuleSpec, ...]
    concepts: frozenset[str]
    files: tuple[str, ...]
    settings: Mapping[str, Mapping[str, Any]] = field(factory=dict)
    """``[settings]`` tables per category (e.g. allowed link domains), later files win."""

    def setting(self, category: str, key: str, default: Any) -> Any:
        return self.settings.get(category, {}).get(key, default)

    def rules_for(self, category: str) -> tuple[RuleSpec, ...]:
        return tuple(r for r in self.rules if r.category == category)

    _by_id: Mapping[str, RuleSpec] = field(init=False, repr=False, eq=False)

    @_by_id.default
    def _index(self) -> Mapping[str, RuleSpec]:
        return {rule.rule_id: rule for rule in self.rules}

    def rule(self, rule_id: str) -> RuleSpec:
        found = self._by_id.get(rule_id)
        if found is None:
            raise LexiconError(f"no rule {rule_id!r} in the lexicons ({', '.join(self.files)})")
        return found


def _term(raw: str, concept: str, where: str) -> Term:
    if not isinstance(raw, str) or not raw.strip("* "):
        raise LexiconError(f"{where}: concept {concept!r} has an empty or non-string term")
    left = not raw.startswith("*")
    right = not raw.endswith("*")
    text = normalize_term(raw.strip("*"))
    if not text:
        raise LexiconError(f"{where}: concept {concept!r} has a term that folds to nothing: "
                           f"{raw!r}")
    thai = any("\u0e00" <= ch <= "\u0e7f" for ch in text)
    # Whole-word matching only where the term itself starts or ends with a letter or digit:
    # "% off" must match in "70% off", "!!!" after any word.
    left = left and not thai and text[0] in WORD_CHARS
    right = right and not thai and text[-1] in WORD_CHARS
    return Term(text, concept, left, right, accent_form(raw.strip("*")))


def _strings(value: Any, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{where}: {key!r} must be a list of strings")
    return tuple(value)


def _rule(raw: Mapping[str, Any], default_category: str | None, where: str) -> RuleSpec:
    known = {"id", "category", "severity", "policy", "explanation", "all", "scope", "negatable",
             "none", "unless", "within", "channels", "python", "direction"}
    unknown = set(raw) - known
    if unknown:
        raise LexiconError(
            f"{where}: unknown rule key(s) {sorted(unknown)}; known: {sorted(known)}"
        )
    category = raw.get("category", default_category)
    if not category:
        raise LexiconError(f"{where}: rule {raw.get('id')!r} has no category")
    for key in ("id", "severity", "policy", "explanation"):
        if not isinstance(raw.get(key), str):
            raise LexiconError(f"{where}: rule {raw.get('id')!r} needs a string {key!r}")
    python = bool(raw.get("python", False))
    all_of = _strings(raw.get("all", []), "all", where)
    if not python and not all_of:
        raise LexiconError(f"{where}: rule {raw['id']!r} needs 'all' (or python = true)")
    scope = raw.get("scope", "sentence")
    if scope not in SCOPES:
        raise LexiconError(f"{where}: rule {raw['id']!r} scope must be one of {sorted(SCOPES)}")
    try:
        severity = Severity(raw["severity"])
    except ValueError:
        raise LexiconError(
            f"{where}: rule {raw['id']!r} severity must be info, warn or block"
        ) from None
    within = raw.get("within")
    if within is not None and (not isinstance(within, int) or within <= 0):
        raise LexiconError(f"{where}: rule {raw['id']!r} 'within' must be a positive integer")
    channels = raw.get("channels")
    direction = raw.get("direction", "outbound")
    if direction not in ("outbound", "inbound"):
        raise LexiconError(f"{where}: rule {raw['id']!r} direction must be outbound or inbound")
    return RuleSpec(
        rule_id=f"{category}.{raw['id']}",
        category=category,
        severity=severity,
        policy=raw["policy"],
        explanation=raw["explanation"],
        all=all_of,
        scope=scope,
        negatable=_strings(raw.get("negatable", []), "negatable", where),
        none=_strings(raw.get("none", []), "none", where),
        unless=_strings(raw.get("unless", []), "unless", where),
        within=within,
        channels=frozenset(_strings(channels, "channels", where)) if channels else None,
        python=python,
        direction=direction,
        source=where,
    )


def _parse(
    data: Mapping[str, Any], where: str
) -> tuple[list[Term], list[RuleSpec], dict[str, Any]]:
    terms: list[Term] = []
    concepts = data.get("concepts", {})
    if not isinstance(concepts, dict):
        raise LexiconError(f"{where}: [concepts] must be a table")
    for concept, by_language in concepts.items():
        if not isinstance(by_language, dict):
            raise LexiconError(f"{where}: [concepts.{concept}] must map languages to lists")
        for language, raw_terms in by_language.items():
            for raw in _strings(raw_terms, f"concepts.{concept}.{language}", where):
                terms.append(_term(raw, concept, where))
    default_category = data.get("category")
    rules = [_rule(raw, default_category, where) for raw in data.get("rules", [])]
    settings = data.get("settings", {})
    if not isinstance(settings, dict):
        raise LexiconError(f"{where}: [settings] must be a table")
    if settings and not default_category:
        raise LexiconError(f"{where}: [settings] needs a top-level category = \"...\"")
    return terms, rules, settings


def lexicon_sources(package: str, extra: Iterable[Path], env_name: str
                    ) -> list[tuple[str, bytes]]:
    """The ``*.toml`` files of ``package``'s ``lexicons`` folder, then of each folder in
    ``extra`` (named by the environment variable ``env_name``), as ``(where, bytes)`` pairs
    for :func:`build_lexicon`."""
    found: list[tuple[str, bytes]] = []
    folder_of_package = resources.files(package) / "lexicons"
    for entry in sorted(folder_of_package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            found.append((f"builtin:{entry.name}", entry.read_bytes()))
    for folder in extra:
        if not folder.is_dir():
            raise LexiconError(f"{env_name}: {folder} is not a folder")
        for path in sorted(folder.glob("*.toml")):
            found.append((str(path), path.read_bytes()))
    return found


def build_lexicon(sources: Iterable[tuple[str, bytes]]) -> Lexicon:
    """Parse and merge lexicon files; a later rule with the same id replaces an earlier one."""
    terms: list[Term] = []
    rules: dict[str, RuleSpec] = {}
    names: list[str] = []
    settings: dict[str, dict[str, Any]] = {}
    for where, payload in sources:
        try:
            data = tomllib.loads(payload.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise LexiconError(f"{where}: not valid UTF-8 TOML: {exc}") from None
        file_terms, file_rules, file_settings = _parse(data, where)
        if file_settings:
            settings.setdefault(str(data["category"]), {}).update(file_settings)
        terms.extend(file_terms)
        rules.update((r.rule_id, r) for r in file_rules)
        names.append(where)
    concepts = frozenset(t.concept for t in terms)
    for rule in rules.values():
        missing = {c for c in (*rule.all, *rule.negatable, *rule.none, *rule.unless)} - concepts
        if missing and not rule.python:
            raise LexiconError(f"{rule.source}: rule {rule.rule_id!r} uses unknown concept(s) "
                               f"{sorted(missing)}")
    return Lexicon(
        tuple(dict.fromkeys(terms)), tuple(rules.values()), concepts, tuple(names), settings
    )


@cache
def _load(extra: tuple[str, ...]) -> Lexicon:
    return build_lexicon(lexicon_sources(
        "mmtkit.plugins.compliance", (Path(p) for p in extra), LEXICON_PATH_ENV
    ))


def load_lexicon(env: Mapping[str, str] | None = None) -> Lexicon:
    """The built-in lexicons plus the folders in ``MMTKIT_LEXICON_PATH``, loaded once."""
    environ = os.environ if env is None else env
    extra = tuple(p for p in environ.get(LEXICON_PATH_ENV, "").split(os.pathsep) if p.strip())
    return _load(extra)
