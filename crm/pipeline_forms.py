"""Forms for the pipeline pages: they only validate shapes; every rule lives in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import (
    Category,
    ContractStatus,
    CostBasis,
    Customer,
    FollowUpChannel,
    Industry,
    LeadSource,
    LeadStatus,
    Quote,
    Region,
    User,
)
from crm.models.pipeline import ConcessionKind

DATE = forms.DateInput(attrs={"type": "date"})
MONEY_ATTRS = {"inputmode": "decimal", "step": "0.01"}


def money_field(label: Any, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=16,
        decimal_places=2,
        required=required,
        widget=forms.NumberInput(attrs=MONEY_ATTRS),
    )


class LeadForm(forms.Form):
    company = forms.CharField(label=_("公司名称"), max_length=200)
    source = forms.ChoiceField(label=_("来源"), choices=LeadSource.choices)
    contact_person = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_position = forms.CharField(label=_("联系人职务"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    region = forms.ModelChoiceField(label=_("大区"), queryset=Region.objects.all(), required=False)
    industry = forms.ModelChoiceField(label=_("行业"), queryset=Industry.objects.all(), required=False)
    notes = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class LeadImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV 或 Excel 文件"),
        help_text=_("第1行为表头：公司名称、联系人、联系人职务、电话、大区、行业、来源、备注"),
    )


class LeadFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"), required=False, widget=forms.TextInput(attrs={"placeholder": _("公司名称")})
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *LeadStatus.choices], required=False
    )


class LeadConvertForm(forms.Form):
    contact_position = forms.CharField(label=_("联系人职务"), max_length=50, required=False)


class LeadAssignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("分配给"), queryset=User.objects.none())
    allow_other_industry = forms.BooleanField(label=_("批准跨行业销售"), required=False)

    def __init__(self, *args, users, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = users  # type: ignore[attr-defined]


class OpportunityForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    name = forms.CharField(label=_("商机名称"), max_length=200)
    amount = money_field(_("预计金额"), required=False)
    expected_sign_date = forms.DateField(label=_("预计签约日期"), required=False, widget=DATE)
    competitors = forms.CharField(label=_("竞争对手"), max_length=200, required=False)

    def __init__(self, *args, customers, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("推进到"), choices=[])
    outcome_on = forms.DateField(label=_("结果日期（赢单/输单）"), required=False, widget=DATE)
    reason = forms.CharField(label=_("说明/原因"), max_length=300, required=False)

    def __init__(self, *args, stages, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s.code, s.label) for s in stages]  # type: ignore[attr-defined]


class ActivityForm(forms.Form):
    """A follow-up logged against an opportunity (C7 record linked to L2)."""

    channel = forms.ChoiceField(label=_("沟通方式"), choices=FollowUpChannel.choices)
    topic = forms.CharField(label=_("主题"), max_length=200)
    outcome = forms.CharField(label=_("完成情况"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    next_step = forms.CharField(label=_("下一步"), max_length=200, required=False)
    next_date = forms.DateField(label=_("下次联系日期"), required=False, widget=DATE)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"))


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("同意")), ("reject", _("驳回"))])
    reason = forms.CharField(label=_("意见"), max_length=500, required=False)
    rate = forms.DecimalField(
        label=_("提成比例（低价销售，如0.02）"), max_digits=9, decimal_places=6, required=False
    )


class QuoteForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    title = forms.CharField(label=_("报价名称"), max_length=200)

    def __init__(self, *args, customers, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]


class QuoteLineForm(forms.Form):
    """A quote line: a catalogue product, a quantity and the price offered (or a discount off list).
    The list and floor price are not fields: they are the price book's."""

    product = forms.CharField(label=_("产品"), max_length=40, required=False)
    quantity = forms.DecimalField(label=_("数量"), max_digits=12, decimal_places=2, required=False)
    quoted_price = money_field(_("报价"), required=False)
    discount_pct = forms.DecimalField(
        label=_("折扣（%）"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        pct = data.pop("discount_pct", None)
        if pct is not None and data.get("quoted_price") is None:
            data["discount_rate"] = pct / 100
        return data


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=3)


class ContractForm(forms.Form):
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    title = forms.CharField(label=_("合同名称（来自报价单时可留空）"), max_length=200, required=False)
    quote = forms.ModelChoiceField(
        label=_("来自报价单（可选）"), queryset=Quote.objects.none(), required=False
    )
    # From a quote, the amount (and list amount) are the quote's: leave it empty.
    amount = money_field(_("合同金额（来自报价单时自动带入）"), required=False)
    standard_template = forms.BooleanField(label=_("使用标准合同模板"), required=False, initial=True)

    def __init__(self, *args, customers, quotes, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]
        self.fields["quote"].queryset = quotes  # type: ignore[attr-defined]


class ContractTransitionForm(forms.Form):
    to = forms.ChoiceField(choices=ContractStatus.choices)
    comment = forms.CharField(label=_("说明"), max_length=500, required=False)


class OrderLineForm(forms.Form):
    """An order line: a catalogue product and a quantity (and, only under a contract without a quote,
    the agreed unit price). List price, floor and cost come from the price book."""

    product = forms.CharField(label=_("产品"), max_length=40, required=False)
    quantity = forms.DecimalField(label=_("数量"), max_digits=12, decimal_places=2, required=False)
    unit_price = money_field(_("成交单价"), required=False)
    tax = money_field(_("税费"), required=False)  # K7: margin = revenue − cost − tax − logistics
    logistics = money_field(_("物流费"), required=False)


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=3)


class OrderLineCostForm(forms.Form):
    """Finance's costs of an order line (K7 margin): unit cost, tax, logistics."""

    unit_cost = money_field(_("单位成本"))
    tax = money_field(_("税费"), required=False)
    logistics = money_field(_("物流费"), required=False)


class MoneyInForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("payment", _("回款")), ("refund", _("退款")), ("invoice", _("开票"))]
    )
    amount = money_field(_("金额"))
    on = forms.DateField(label=_("日期"), required=False, widget=DATE)
    reference = forms.CharField(label=_("流水号/发票号"), max_length=80, required=False)
    reason = forms.CharField(label=_("退款原因"), max_length=200, required=False)


class WriteOffForm(forms.Form):
    amount = money_field(_("核销金额"))
    reason = forms.CharField(label=_("坏账原因"), max_length=200)


class BoardResolutionForm(forms.Form):
    """002 §8.3: the board's resolution on a bad-debt write-off, recorded by finance."""

    number = forms.CharField(label=_("董事会决议编号"), max_length=50, required=False)
    resolved_on = forms.DateField(label=_("董事会决议日期"), required=False, widget=DATE)
    file = forms.FileField(label=_("董事会决议附件"), required=False)


class ConcessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=ConcessionKind.choices)
    customer = forms.ModelChoiceField(label=_("客户"), queryset=Customer.objects.none())
    ratio = forms.DecimalField(label=_("比例（如0.05表示5%）"), max_digits=9, decimal_places=6)
    base_amount = money_field(_("基数（回款或月用量）"), required=False)
    reason = forms.CharField(label=_("原因"), max_length=300)

    def __init__(self, *args, customers, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers  # type: ignore[attr-defined]


class SimpleFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)
    status = forms.CharField(required=False)


class ProductForm(forms.Form):
    """A catalogue product (the price rows are added separately, effective-dated)."""

    code = forms.CharField(label=_("产品编码"), max_length=40)
    name = forms.CharField(label=_("产品名称"), max_length=200)
    category = forms.ModelChoiceField(label=_("类别"), queryset=Category.objects.none())
    unit = forms.CharField(label=_("单位"), max_length=20, initial="件")
    cost_basis = forms.ChoiceField(label=_("成本类型"), choices=CostBasis.choices, initial=CostBasis.OWN)
    active = forms.BooleanField(label=_("在售"), required=False, initial=True)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)  # type: ignore[attr-defined]


class ProductPriceForm(forms.Form):
    effective_from = forms.DateField(label=_("生效日期"), widget=DATE)
    list_price = money_field(_("标准价"))
    floor_price = money_field(_("最低价"))
    unit_cost = money_field(_("单位成本（外调、外包必填）"), required=False)


class ProductFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("产品编码或名称")}),
    )
    category = forms.ChoiceField(label=_("类别"), required=False, choices=[])
    active = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), ("1", _("在售")), ("0", _("停售"))]
    )
    on = forms.DateField(label=_("价格日期"), required=False, widget=DATE)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("全部类别"))] + [  # type: ignore[attr-defined]
            (c.code, c.label) for c in Category.objects.all()
        ]


class ProductImportForm(forms.Form):
    file = forms.FileField(label=_("Excel文件（.xlsx）"))
