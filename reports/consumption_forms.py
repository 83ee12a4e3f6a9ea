"""A3 forms: the partner's monthly analysis and the regional manager's comment (validation only)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import PartnerMonthlyAnalysis

ROWS = {"rows": 4}


class AnalysisForm(forms.ModelForm):
    class Meta:
        model = PartnerMonthlyAnalysis
        fields = [
            "analysis",
            "best_items",
            "next_month_target",
            "next_month_plan",
            "sales_log",
            "service_log",
        ]
        widgets = {
            "analysis": forms.Textarea(attrs=ROWS),
            "best_items": forms.Textarea(attrs=ROWS),
            "next_month_plan": forms.Textarea(attrs=ROWS),
            "sales_log": forms.Textarea(attrs=ROWS),
            "service_log": forms.Textarea(attrs=ROWS),
        }


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("批示"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class A3MonthForm(forms.Form):
    month = forms.CharField(required=False, label=_("月份"))
    status = forms.ChoiceField(
        required=False,
        label=_("状态"),
        choices=[
            ("", _("全部状态")),
            ("missing", _("未提交")),
            ("submitted", _("待批示")),
            ("commented", _("已批示")),
        ],
    )
    q = forms.CharField(required=False, max_length=80, label=_("合伙人姓名"))

    def clean_month(self):  # type: ignore[no-untyped-def]
        from common.timeutil import parse_month

        raw = self.cleaned_data.get("month") or ""
        if not raw:
            return None
        month = parse_month(raw)
        if month is None:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，例如 2026-10。"))
        return month
