"""Thirty-seven sets of 227 to 260 messages each, written by authors who never saw the rules.

Each set was scored blind first (the figures are in docs/compliance.md). A to E, G and I to P
were then used to generalise the lexicons (A in the first round, B and C in the second, D in
the third, E in the fourth, G in the fifth, I and J in the sixth, K and L in the seventh, M
and N in the eighth, O and P in the ninth, Q and R in the tenth, T and U in the eleventh, W in
the twelfth, X in the thirteenth) and are kept as regression sets: a lexicon change that loses
what they taught fails here. F (written after the fourth round), H (written with G), S
(written with Q and R), V (written with T and U), Y and Z (written during the thirteenth)
have NOT been tuned on: they are the best available estimates of unseen messages. Keep it
that way (tune on new sets, not on F, H, S, V, Y or Z), and raise their floors only when
their figures rise without looking at their lines. AA and AB were written during the
fourteenth session, after the message model (``mmtkit.plugins.compliance.model``) was
chosen, and scored once; they are held out from its training like F to Z. AE and AF were
written on 2026-11-23 and scored blind (0.933 and 0.943); AE was then generalised
in round 14 and is a regression set, AF is held out and untuned like F to AB. AG and AH are
English only, written to be hard (violations in ordinary words, clean lines close to them:
AG harassment, marketing, sexual content and reviews; AH scams, data requests, diversion,
banned goods and ad mismatches), scored blind at 0.750 and 0.867 and generalised in round 15;
their floors are low because most of what they miss is worded too openly for word lists.
AI (the corpus's mix, written after round 15 and scored once, 0.928) is held out like AF.
AJ (the corpus's mix with clean lines written close to violations, 2026-11-23) scored blind
at 0.915 with 5 of 101 clean lines flagged, all for "no prescription needed" about vitamins,
sunscreen or skincare; round 16 generalised that, and AJ is a regression set. AK (the
corpus's mix, written hard, 2026-11-24) scored blind at 0.905 with 1 of 104 clean lines
flagged; round 17 generalised its multi-buy deals, its prices without a currency and
"the gram", and AK is a regression set. AL (the corpus's mix from businesses it shows little
of: car dealers, estate agents, repair shops, florists, 2026-11-24) scored blind at 0.928
with none of its 103 clean lines flagged; round 18 generalised it, and AL is a regression
set. AM (written with AL in the corpus's own kind and scored once, 0.974 with 3 of 102 clean
lines flagged) is held out like AF and AI.

The message model is trained on the regression sets A to X and on two sets written for it
(``training.TRAINING_SETS``; AE, AG and AH were measured not to help it), so their figures say
little about it; its gain is measured on the held-out sets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mmtkit.plugin_manager import PluginManager
from mmtkit.plugins.compliance.evaluation import evaluate, read_corpus

BLIND = Path(__file__).with_name("blind")

# Floors a little under today's figures: (macro-F1, clean messages flagged).
FLOORS = {"set_a": (0.97, 1), "set_b": (0.97, 1), "set_c": (0.97, 1), "set_d": (0.97, 1),
          "set_e": (0.97, 1), "set_g": (0.97, 1), "set_i": (0.97, 1), "set_j": (0.97, 1),
          "set_k": (0.97, 1), "set_l": (0.97, 1), "set_m": (0.97, 1), "set_n": (0.97, 1),
          "set_o": (0.97, 1), "set_p": (0.97, 1), "set_q": (0.97, 1), "set_r": (0.97, 1),
          "set_t": (0.97, 1), "set_u": (0.97, 1), "set_w": (0.97, 1), "set_x": (0.97, 1),
          "set_f": (0.93, 3), "set_h": (0.89, 2), "set_s": (0.89, 5), "set_v": (0.95, 3),
          "set_y": (0.93, 4), "set_z": (0.92, 3), "set_aa": (0.94, 2), "set_ab": (0.80, 4),
          "set_ae": (0.97, 1), "set_af": (0.93, 2), "set_ag": (0.78, 3), "set_ah": (0.86, 1),
          "set_ai": (0.91, 3), "set_aj": (0.92, 1), "set_ak": (0.91, 1), "set_al": (0.98, 1),
          "set_am": (0.96, 3)}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_blind_set_stays_generalised(manager: PluginManager, name: str) -> None:
    report = evaluate(read_corpus(BLIND / f"{name}.jsonl"), manager)
    macro_f1, clean_flagged = FLOORS[name]
    assert report.macro_f1 >= macro_f1, report.as_json()
    assert report.clean_flagged <= clean_flagged, report.as_json()
