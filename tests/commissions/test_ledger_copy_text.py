"""The COPY text of a new ledger line's explanation (`ledger_writing._explanation_text`, `EarnedLineText`)."""

from __future__ import annotations

import json

import pytest

from commissions.services.ledger_writing import EarnedLineText, _copy_text, _explanation_text, _json_text


@pytest.mark.parametrize(
    "explanation",
    [
        {"calculation": "202610:u7:category_rates", "share": "0.7000", "order_base": "2000.10"},
        {"calculation": "k", "note": '分得 王五 在本单提成 ¥1,234.00 的 30%；"引号" \\ 换行\n制表\t'},
        {"calculation": "k", "stale": True, "lines": 3},
    ],
)
def test_a_line_s_explanation_is_the_same_json_text_as_the_encoder_gives(explanation):
    text = _explanation_text(explanation)
    assert text == _json_text(explanation)
    assert json.loads(text) == explanation


@pytest.mark.parametrize("net_factor", [None, "0.8714285714285714285714285714"])
@pytest.mark.parametrize(
    ("note", "note_words"),
    [
        ("", None),
        ('月度预发 80%（1,234.00），"余额" \\ 年终\t结算', {"m": "月度预发 %(pct)s", "a": {"pct": "80%"}}),
    ],
)
def test_a_line_held_alone_has_the_same_copy_text_built_from_its_parts(note, note_words, net_factor):
    explanation = {"calculation": "202610:u7:category_rates", "share": "1.000000", "order_base": "16038.02"}
    if net_factor is not None:
        explanation["net_factor"] = net_factor
    if note:
        explanation |= {"note": note, "note_words": note_words}
    said = EarnedLineText(explanation["calculation"], note, note_words)
    assert said.text("1.000000", "16038.02", net_factor) == _copy_text(_explanation_text(explanation))
