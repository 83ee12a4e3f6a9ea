"""K14 forms: perk list filters, recording a perk as used, the champions and review filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from commissions.reward_models import PerkKind, PerkStatus
from common.timeutil import local_today


class PerkFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=80, label=_("合伙人姓名"))
    status = forms.ChoiceField(
        required=False, label=_("状态"), choices=[("", _("全部状态")), *PerkStatus.choices]
    )
    kind = forms.ChoiceField(
        required=False, label=_("奖励类型"), choices=[("", _("全部类型")), *PerkKind.choices]
    )


class PerkRedeemForm(forms.Form):
    note = forms.CharField(
        required=True,
        max_length=300,
        label=_("使用说明"),
        help_text=_("例如：11 月 8–9 日到店市场指导"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )


PERIOD_KIND_CHOICES = [("", _("全部")), ("month", _("月度")), ("quarter", _("季度")), ("year", _("年度"))]


def _year_choices() -> list[tuple[str, Any]]:
    this = local_today().year
    return [("", _("全部年份"))] + [(str(y), str(y)) for y in range(this, this - 6, -1)]


class ChampionFilterForm(forms.Form):
    period_kind = forms.ChoiceField(required=False, label=_("奖项"), choices=PERIOD_KIND_CHOICES)
    year = forms.TypedChoiceField(required=False, label=_("年份"), coerce=int, empty_value=None, choices=())

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()  # type: ignore[attr-defined]


class ReviewFilterForm(forms.Form):
    year = forms.TypedChoiceField(required=False, label=_("年份"), coerce=int, empty_value=None, choices=())
    quarter = forms.TypedChoiceField(
        required=False,
        label=_("季度"),
        coerce=int,
        empty_value=None,
        choices=[
            ("", _("本季度")),
            ("1", _("第一季度")),
            ("2", _("第二季度")),
            ("3", _("第三季度")),
            ("4", _("第四季度")),
        ],
    )

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [c for c in _year_choices() if c[0]]  # type: ignore[attr-defined]
