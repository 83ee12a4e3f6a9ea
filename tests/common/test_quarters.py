"""Quarter arithmetic in one place (common/timeutil.py), used by the K14 rewards (period start and label,
the quarterly upgrade review's default quarter and the month it reads through)."""

from __future__ import annotations

import datetime as dt

import pytest

from common.timeutil import quarter_bounds, quarter_last_month, quarter_of


@pytest.mark.parametrize(
    "day,quarter",
    [
        (dt.date(2026, 1, 1), 1),
        (dt.date(2026, 3, 31), 1),
        (dt.date(2026, 4, 1), 2),
        (dt.date(2026, 12, 31), 4),
    ],
)
def test_the_quarter_a_day_falls_in(day, quarter):  # type: ignore[no-untyped-def]
    assert quarter_of(day) == quarter


def test_a_quarter_runs_from_its_first_day_to_the_next_quarters_first_day():
    assert quarter_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))


def test_the_review_reads_through_the_quarters_last_month():
    assert quarter_last_month(2026, 2) == dt.date(2026, 6, 1)
    assert quarter_last_month(2026, 4) == dt.date(2026, 12, 1)


def test_the_rewards_period_start_and_label_use_it():
    from commissions.services.rewards import period_start, period_words
    from common.deferred_text import words_stored_text

    start = period_start("quarter", dt.date(2026, 8, 15))
    label = words_stored_text(period_words("quarter", start))
    assert (start, label) == (dt.date(2026, 7, 1), "2026年第3季度")
