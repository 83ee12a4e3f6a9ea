"""003 §9.3: the execution order (执行单) form on a signed contract."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ExecutionOrderForm(forms.Form):
    deliverables = forms.CharField(
        label=_("交付内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("要发货、实施的产品或服务，以及数量。"),
    )
    ship_on = forms.DateField(label=_("计划发货日期"), widget=forms.DateInput(attrs={"type": "date"}))
    implement_on = forms.DateField(
        label=_("计划实施日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    collect_amount = forms.DecimalField(
        label=_("应收金额（元）"), max_digits=16, decimal_places=2, min_value=0
    )
    collect_on = forms.DateField(label=_("计划收款日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注"), max_length=500, required=False)
