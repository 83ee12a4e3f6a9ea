"""Report filters live in the URL (GET): `month=YYYY-MM`, `span=month|quarter|year`, `dept=<id>`.
One form parses them for the pages and the API, so a bookmarked view shows the same figures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from common.timeutil import local_today, month_start, next_month, start_of_local_day
from crm.models import Department


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` months after (negative: before) the month of `day`."""
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


@dataclass(frozen=True)
class Period:
    start: dt.date  # inclusive
    end: dt.date  # exclusive
    span: str

    @property
    def start_at(self) -> dt.datetime:
        return start_of_local_day(self.start)

    @property
    def end_at(self) -> dt.datetime:
        return start_of_local_day(self.end)

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def label(self) -> str:
        if self.span == "year":
            return f"{self.start:%Y}"
        if self.span == "quarter":
            return f"{self.start:%Y} Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @classmethod
    def of(cls, month: dt.date, span: str = "month") -> Period:
        first = month_start(month)
        if span == "year":
            return cls(first.replace(month=1), dt.date(first.year + 1, 1, 1), span)
        if span == "quarter":
            q_start = first.replace(month=(first.month - 1) // 3 * 3 + 1)
            return cls(q_start, add_months(q_start, 3), span)
        return cls(first, next_month(first), "month")


SPANS = [("month", _("月")), ("quarter", _("季度")), ("year", _("年"))]


class ReportFilterForm(forms.Form):
    month = forms.DateField(
        label=_("月份"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        error_messages={"invalid": _("月份格式应为 年-月，例如 2026-03。")},
    )
    span = forms.ChoiceField(label=_("期间"), required=False, choices=SPANS)
    dept = forms.ModelChoiceField(
        label=_("部门"),
        required=False,
        queryset=Department.objects.all(),
        empty_label=_("全部部门"),
        error_messages={"invalid_choice": _("没有这个部门。")},
    )

    def _clean(self) -> dict:
        """The fields that parsed (a bad month keeps the chosen department, and the other way round)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return getattr(self, "cleaned_data", {})

    def period(self) -> Period:
        data = self._clean()
        return Period.of(data.get("month") or local_today(), data.get("span") or "month")

    def department(self) -> Department | None:
        data = self._clean()
        return data.get("dept")


def parse_filters(params: dict) -> tuple[ReportFilterForm, Period, Department | None]:
    """Bad input: the form carries the message and the defaults (this month, every department) apply."""
    form = ReportFilterForm(params or None)
    return form, form.period(), form.department()
