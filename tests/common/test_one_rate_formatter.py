"""One rate formatter (`common/templatetags/money.py: pct`): the templates' filter and the Python callers
(approvals centre, authority matrix words, partners' shares, reports' figures in percent) show a rate the
same way they did before they shared it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from common.fen import pct as pure_pct
from common.templatetags.money import pct


def render(source: str, **context) -> str:  # type: ignore[no-untyped-def]
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    "value,places,expected",
    [
        (Decimal("0.030000"), None, "3%"),
        (Decimal("0.0125"), None, "1.25%"),
        (Decimal("0.333333"), None, "33.3333%"),  # a partner's share, exact to the stored fraction
        (Decimal("1"), None, "100%"),
        (Decimal("0"), None, "0%"),
        (Decimal("0.850000"), 2, "85%"),  # an approval's price ratio
        (Decimal("0.123456"), 2, "12.35%"),  # rounded half-up to two decimals of the percentage
        (None, None, ""),
        ("", None, ""),
        ("not a rate", None, ""),
    ],
)
def test_a_fraction_reads_as_a_percentage(value, places, expected):  # type: ignore[no-untyped-def]
    assert pct(value, places) == expected


def test_the_filter_is_the_same_function_with_its_places_argument():
    out = render(
        "{% load money %}{{ a|pct }}|{{ b|pct:2 }}|{{ c|pct|default:'—' }}",
        a=Decimal("0.0125"),
        b=Decimal("0.123456"),
        c=None,
    )
    assert out == "1.25%|12.35%|—"


def test_a_figure_already_in_percent_is_shown_as_the_report_rounded_it():
    out = render(
        "{% load money reports_tags %}{{ a|pct_points }}|{{ b|pct_points }}|{{ c|pct_points|default:'—' }}"
        "|{{ up|change }}|{{ down|change }}|{{ c|change }}",
        a=Decimal("12.5"),
        b=Decimal("100.0"),
        c=None,
        up=Decimal("12.5"),
        down=Decimal("-3.0"),
    )
    assert out == "12.5%|100.0%|—|+12.5%|-3.0%|—"


def test_rates_are_never_floats():
    with pytest.raises(TypeError):
        pct(0.1)


def test_the_authority_matrix_words_use_it():
    from django.utils import translation

    from crm.models import AuthorityRule
    from crm.services.authority import ratio_words

    rule = AuthorityRule(
        ratio_min=Decimal("0.450000"),
        ratio_min_inclusive=True,
        ratio_max=Decimal("0.500000"),
        ratio_max_inclusive=False,
    )
    with translation.override("zh-hans"):
        assert ratio_words(rule) == "≥ 45%且< 50%"


def test_the_filter_is_the_pure_function_the_calculator_imports():
    assert pct is pure_pct
