"""K13 ticket entry forms (finance): they check the input's shape; the rules live in the service."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from partners.models import Partner
from settlements.forms import MonthField
from settlements.models import Gender


def _partners() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("所属合伙人"),
        queryset=Partner.objects.filter(is_active=True).order_by("name", "id"),
        empty_label=_("请选择合伙人"),
    )


class TicketStockForm(forms.Form):
    partner = _partners()
    course_name = forms.CharField(label=_("课程名称"), max_length=100)
    ticket_price = forms.DecimalField(label=_("票价"), min_value=0, max_digits=16, decimal_places=2)
    quantity = forms.IntegerField(label=_("票数量"), min_value=1, max_value=100000)
    acquired_on = forms.DateField(label=_("取得日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class TicketSaleForm(forms.Form):
    partner = _partners()
    attendee_name = forms.CharField(label=_("姓名"), max_length=80)
    gender = forms.ChoiceField(label=_("性别"), choices=[("", "—"), *Gender.choices], required=False)
    id_number = forms.CharField(label=_("身份证号"), max_length=20, required=False)
    phone = forms.CharField(label=_("手机"), max_length=20, required=False)
    attended_on = forms.DateField(label=_("参会日期"), widget=forms.DateInput(attrs={"type": "date"}))
    month = MonthField(label=_("结算月份"), required=False, help_text=_("不填则为参会日期所在月份"))
    course_name = forms.CharField(label=_("课程名称"), max_length=100)
    signed_price = forms.DecimalField(label=_("签约票价"), min_value=0, max_digits=16, decimal_places=2)
    sold_price = forms.DecimalField(label=_("售出票价"), min_value=0, max_digits=16, decimal_places=2)
    quantity = forms.IntegerField(label=_("数量"), min_value=1, max_value=100000, initial=1)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class TicketFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("合伙人、姓名或课程")}),
    )
    month = MonthField(label=_("结算月份"), required=False)
