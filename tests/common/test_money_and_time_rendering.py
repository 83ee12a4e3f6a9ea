"""Money renders as ¥ with two decimals (half-up to the fen); times render in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template


def render(source: str, **context) -> str:  # type: ignore[no-untyped-def]
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    "value,expected",
    [
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("0.005"), "¥0.01"),
        (Decimal("-88.125"), "-¥88.13"),
        (Decimal("1000000"), "¥1,000,000.00"),
        ("19.9", "¥19.90"),
        (None, ""),
        ("not money", ""),
    ],
)
def test_cny_filter(value, expected):
    assert render("{% load money %}{{ v|cny }}", v=value) == expected


def test_cny_filter_refuses_floats():
    with pytest.raises(TypeError):
        render("{% load money %}{{ v|cny }}", v=0.1)


def test_times_render_in_shanghai():
    utc = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)
    assert render('{{ t|date:"Y-m-d H:i" }}', t=utc) == "2026-03-02 00:30"
