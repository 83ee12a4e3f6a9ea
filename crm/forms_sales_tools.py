"""Forms of the sales tools (issue 16): tasks (待办) and payment plans (回款计划)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Customer


class TaskForm(forms.Form):
    title = forms.CharField(label=_("待办事项"), max_length=200)
    due_on = forms.DateField(label=_("截止日期"), widget=forms.DateInput(attrs={"type": "date"}))
    remind_at = forms.DateTimeField(
        label=_("提醒时间"),
        required=False,
        help_text=_("到时在通知中提醒您；不填则不提醒。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none(), required=False)

    def __init__(self, *args, customers, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]


class EvenPaymentPlanForm(forms.Form):
    """Issue 16: a payment plan (回款计划) in equal instalments (the odd fens go to the first ones)."""

    count = forms.IntegerField(label=_("期数"), min_value=1, max_value=60, initial=3)
    first_due = forms.DateField(label=_("第一期回款日期"), widget=forms.DateInput(attrs={"type": "date"}))
    every_months = forms.IntegerField(label=_("每期间隔（月）"), min_value=1, max_value=12, initial=1)
