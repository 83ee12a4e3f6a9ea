"""Forms for the statement filters and the what-if estimator (input validation only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from commissions.models import LineKind, LineStatus
from crm.models import (
    ORDER_CATEGORY_CHOICES,
    KeyAccountClass,
    Opportunity,
    OpportunityStage,
    ProductCategory,
    User,
)


def parse_month(value: str) -> dt.date | None:
    """YYYY-MM within the sane range (issue 17), else None."""
    from common.timeutil import parse_month as parse_sane_month

    return parse_sane_month(value) if isinstance(value, str) else None


class MonthField(forms.CharField):
    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        value = super().to_python(value)
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，例如 2026-10。"))
        return month


class StatementFilterForm(forms.Form):
    period = MonthField(label=_("月份"), required=False, widget=forms.TextInput(attrs={"type": "month"}))
    payee = forms.ModelChoiceField(label=_("员工"), queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *LineStatus.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部类型")), *LineKind.choices], required=False
    )

    def __init__(self, *args: Any, payees: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if payees is None:
            del self.fields["payee"]
        else:
            self.fields["payee"].queryset = payees  # type: ignore[attr-defined]


class WhatIfForm(forms.Form):
    amount = forms.DecimalField(
        label=_("成交金额（元）"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"), required=False
    )
    category = forms.ChoiceField(
        label=_("产品类别"), choices=ORDER_CATEGORY_CHOICES, initial=ProductCategory.REGULAR
    )
    key_account_class = forms.ChoiceField(
        label=_("大客户分类"), choices=KeyAccountClass.choices, required=False
    )
    opportunity = forms.ModelChoiceField(
        label=_("或选择一个进行中的商机"), queryset=Opportunity.objects.none(), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["opportunity"].queryset = Opportunity.objects.filter(  # type: ignore[attr-defined]
            owner=user
        ).exclude(stage__in=[OpportunityStage.WON, OpportunityStage.LOST])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("amount") and not data.get("opportunity"):
            raise forms.ValidationError(_("请输入成交金额，或选择一个商机。"))
        return data


class ForfeitForm(forms.Form):
    """K11: a payee's unpaid commission is forfeited (fraud/violation confirmed); asks for confirmation."""

    payee = forms.ModelChoiceField(label=_("员工"), queryset=User.objects.filter(is_active=True))
    reason = forms.CharField(label=_("原因（已查实的违规事实）"), max_length=300)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
