"""The authority-matrix form (Q2, issue 15): ranges in percent and yuan, the approval chain as rows of
roles named in Chinese — no JSON. Shapes only; crm.services.authority and the model decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import ApprovalKind, AuthorityRule, Role
from crm.pipeline_forms import money_field

HUNDRED = Decimal("100")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def percent_field(label: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal("0"),
        max_digits=9,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
        help_text=_("按百分比填写，例如 45 表示 45%；留空表示不限。"),
    )


class AuthorityRuleForm(forms.Form):
    kind = forms.ChoiceField(label=_("审批类型"), choices=ApprovalKind.choices)
    name = forms.CharField(label=_("规则说明"), max_length=200)
    priority = forms.IntegerField(
        label=_("匹配顺序"), min_value=0, initial=10, help_text=_("同一类型中数字小的规则先匹配。")
    )
    ratio_min = percent_field(_("比例下限（%）"))
    ratio_min_inclusive = forms.BooleanField(label=_("含下限"), required=False, initial=True)
    ratio_max = percent_field(_("比例上限（%）"))
    ratio_max_inclusive = forms.BooleanField(label=_("含上限"), required=False)
    amount_min = money_field(_("金额下限（元）"), required=False)
    amount_min_inclusive = forms.BooleanField(label=_("含金额下限"), required=False, initial=True)
    amount_max = money_field(_("金额上限（元）"), required=False)
    amount_max_inclusive = forms.BooleanField(label=_("含金额上限"), required=False, initial=True)
    requires_standard_template = forms.BooleanField(label=_("须为标准模板"), required=False)
    requester_may_decide = forms.BooleanField(label=_("申请人权限内自行决定"), required=False)
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE)
    effective_to = forms.DateField(label=_("失效日期"), widget=DATE, required=False)

    @staticmethod
    def initial_for(rule: AuthorityRule) -> dict[str, Any]:
        data = {name: getattr(rule, name) for name in AuthorityRuleForm.base_fields}
        for name in ("ratio_min", "ratio_max"):
            if data[name] is not None:
                data[name] = Decimal(f"{(data[name] * HUNDRED).normalize():f}")
        return data

    def rule_values(self) -> dict[str, Any]:
        """The cleaned data as the model stores it: percentages back to fractions (45 → 0.45)."""
        values = dict(self.cleaned_data)
        for name in ("ratio_min", "ratio_max"):
            if values[name] is not None:
                values[name] = values[name].scaleb(-2)
        return values


class ChainStepForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("审批角色（任一人可审批）"),
        choices=Role.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


ChainFormSet = forms.formset_factory(ChainStepForm, extra=2, max_num=10)


def chain_initial(rule: AuthorityRule | None) -> list[dict[str, Any]]:
    if rule is None:
        return []
    return [{"roles": step if isinstance(step, list) else [step]} for step in rule.chain]
