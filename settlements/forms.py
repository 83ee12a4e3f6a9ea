from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from common.timeutil import date_in_sane_range, sane_range_message
from settlements.models import DisputeOutcome, SettlementStatus


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (the <input type="month"> format), cleaned to its first day."""

    def __init__(self, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}))
        super().__init__(**kwargs)

    def to_python(self, value):  # type: ignore[no-untyped-def]
        value = super().to_python(value)
        if not value:
            return None
        try:
            month = dt.datetime.strptime(value.strip(), "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM。"))
        if not date_in_sane_range(month):  # issue 17: settlement month 9999-12
            raise forms.ValidationError(sane_range_message())
        return month


class SettlementFilterForm(forms.Form):
    q = forms.CharField(
        label=_("姓名"), required=False, widget=forms.TextInput(attrs={"placeholder": _("姓名")})
    )
    month = MonthField(label=_("月份"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *SettlementStatus.choices]
    )


class TransitionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("submit", "submit"), ("confirm", "confirm"), ("approve", "approve"), ("reject", "reject")]
    )
    expected_status = forms.ChoiceField(choices=SettlementStatus.choices)
    comment = forms.CharField(label=_("意见"), required=False, max_length=500)


class BulkTransitionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", _("批量通过")), ("confirm", _("批量核对无误"))])
    comment = forms.CharField(label=_("意见"), required=False, max_length=500)


class GenerateForm(forms.Form):
    month = MonthField(label=_("结算月份"))


class ExportForm(forms.Form):
    month = MonthField(label=_("结算月份"))


class PayoutForm(forms.Form):
    paid_on = forms.DateField(label=_("发放日期"), widget=forms.DateInput(attrs={"type": "date"}))
    bank_reference = forms.CharField(label=_("银行流水号"), max_length=80)


class DisputeForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("异议理由"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=_("处理结果"), choices=DisputeOutcome.choices)
    answer = forms.CharField(label=_("答复"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    amount = forms.DecimalField(
        label=_("调整金额"),
        required=False,
        max_digits=16,
        decimal_places=2,
        help_text=_("调整时填写，可为负数"),
    )
