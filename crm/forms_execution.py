"""003 §9.3/§9.5: the execution order (执行单) form on a signed contract, and the implementation order
(实施单) forms."""

from __future__ import annotations

from typing import Any

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


class ImplementationOrderForm(forms.Form):
    """003 §9.5: the implementation order (实施单) raised on an approved execution order."""

    scope = forms.CharField(
        label=_("实施内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("要实施的系统、模块或服务，以及客户方的配合要求。"),
    )
    site = forms.CharField(label=_("实施地点"), max_length=200, required=False)
    start_on = forms.DateField(
        label=_("计划开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    finish_on = forms.DateField(
        label=_("计划完成日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    lead: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("实施负责人"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
    )
    items = forms.CharField(
        label=_("实施事项（每行一项）"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每一项可由交付副总裁转为任务分派给实施人员。"),
    )

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = staff  # type: ignore[attr-defined]


class ImplementationAssignForm(forms.Form):
    """转为任务: whom the item goes to and by when."""

    assignee: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("实施人员"),
        queryset=None,  # type: ignore[arg-type]
    )
    due_on = forms.DateField(
        label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff  # type: ignore[attr-defined]
