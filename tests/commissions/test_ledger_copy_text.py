"""The COPY text of a new ledger line's explanation (`ledger_writing._explanation_text`)."""

from __future__ import annotations

import json

import pytest

from commissions.services.ledger_writing import _explanation_text, _json_text


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
