from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm import policy as crm_policy
from crm.models import Region
from partners.models import CollisionAction, CollisionCase, CollisionStatus, Partner, PartnerKind


class CollisionFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("客户名称"))
    status = forms.ChoiceField(
        required=False,
        label=_("状态"),
        choices=[("", _("全部状态")), ("open", _("未解决")), *list(CollisionStatus.choices)],
    )
    scope = forms.ChoiceField(
        required=False, label=_("范围"), choices=[("inbox", _("待我处理")), ("all", _("我可查看的全部"))]
    )


class CollisionActionForm(forms.Form):
    """One form for every step; `share_<party id>` fields (percent) appear for splits."""

    action = forms.ChoiceField(choices=CollisionAction.choices)
    reason = forms.CharField(
        required=False, max_length=2000, label=_("理由/说明"), widget=forms.Textarea(attrs={"rows": 3})
    )
    winner = forms.IntegerField(required=False, label=_("归属方"))

    def __init__(
        self, *args: Any, case: CollisionCase, name_of: Callable[[Any], str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        name_of = name_of or (lambda party: party.label)  # issue 17: the page passes the masked name
        for party in case.parties.all():
            self.fields[f"share_{party.pk}"] = forms.CharField(
                required=False, label=_("%(who)s 分成（%%）") % {"who": name_of(party)}
            )

    def shares(self) -> dict[int, Decimal] | None:
        """Percent inputs → fractions; None when no share was entered. Bad numbers go to the service
        as they are so it explains the rule (sum = 100%)."""
        raw = {
            int(name.split("_", 1)[1]): (self.cleaned_data.get(name) or "").strip()
            for name in self.fields
            if name.startswith("share_")
        }
        if not any(raw.values()):
            return None
        result: dict[int, Any] = {}
        for pk, text in raw.items():
            try:
                result[pk] = Decimal(text.rstrip("%") or "0") / 100
            except InvalidOperation:
                result[pk] = text
        return result


class PartnerRegisterForm(forms.Form):
    name = forms.CharField(label=_("合伙人姓名"), max_length=80)
    kind = forms.ChoiceField(label=_("合伙人类别"), choices=PartnerKind.choices)
    region = forms.ModelChoiceField(label=_("合伙人区域"), queryset=Region.objects.all(), required=False)
    phone = forms.CharField(label=_("合伙人电话"), max_length=20, required=False)
    contact = forms.CharField(label=_("联系方式"), max_length=200, required=False)
    bank_name = forms.CharField(label=_("开户行名称"), max_length=100, required=False)
    account_holder = forms.CharField(label=_("户名"), max_length=80, required=False)
    account_number = forms.CharField(label=_("银行卡号"), max_length=40, required=False)
    username = forms.CharField(label=_("登录名（可选）"), max_length=150, required=False)
    password = forms.CharField(
        label=_("登录密码"), required=False, widget=forms.PasswordInput(render_value=True)
    )


class ExecutiveAttachForm(forms.Form):
    executive = forms.ModelChoiceField(
        label=_("客户执行"),
        queryset=crm_policy.account_executives(),
    )
    confirm = forms.BooleanField(
        label=_("我已知晓：客户执行一经选择不能终止，今后订单按 70:30 分配业绩。"), required=True
    )


class MonthForm(forms.Form):
    month = forms.DateField(
        label=_("月份"),
        required=False,
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def clean_month(self) -> dt.date | None:
        from common.timeutil import date_in_sane_range, sane_range_message

        month = self.cleaned_data.get("month")
        if month and not date_in_sane_range(month):  # issue 17: ?month=9999-12
            raise forms.ValidationError(sane_range_message())
        return month

    def month_or(self, default: dt.date) -> dt.date:
        if self.is_valid() and self.cleaned_data.get("month"):
            return self.cleaned_data["month"].replace(day=1)
        return default.replace(day=1)


class ReferralForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("合伙人"), queryset=Partner.objects.filter(is_active=True))
    customer_name = forms.CharField(label=_("客户名称"), max_length=200)
    share = forms.DecimalField(
        label=_("推荐业绩比例（%）"),
        required=False,
        max_digits=7,
        decimal_places=4,
        help_text=_("留空按规则默认值。"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
