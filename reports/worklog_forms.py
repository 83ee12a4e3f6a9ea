"""A4 work reports: the report form (labels follow the seed's forms for each kind), the period picker,
the list filters and the manager's comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from reports.models import WorkReport, WorkReportKind, WorkReportStatus

LABELS = {
    "daily": {
        "summary": _("今日工作内容与成果"),
        "problems": _("存在的问题"),
        "plan": _("明日工作计划"),
        "support": _("需要经理支持的事项"),
    },
    "weekly": {
        "summary": _("周总结：本周计划完成情况"),
        "problems": _("存在的问题"),
        "plan": _("周计划：下周工作重点"),
        "support": _("需要的支持与资源"),
    },
    "monthly": {
        "summary": _("本月工作成果"),
        "problems": _("工作中存在的问题"),
        "plan": _("下月工作计划（明确工作重点）"),
        "support": _("需要的支持与资源"),
    },
}


class WorkReportForm(forms.ModelForm):
    class Meta:
        model = WorkReport
        fields = ["summary", "problems", "plan", "support"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 10}),
            "problems": forms.Textarea(attrs={"rows": 3}),
            "plan": forms.Textarea(attrs={"rows": 4}),
            "support": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: object, kind: str = "daily", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name, label in LABELS.get(kind, LABELS["daily"]).items():
            self.fields[name].label = label


class PeriodForm(forms.Form):
    """Which report: `kind` and any `date` inside its period (the URL keeps them, so links can be shared)."""

    kind = forms.ChoiceField(
        label=_("报告类型"),
        choices=WorkReportKind.choices,
        required=False,
        error_messages={"invalid_choice": _("没有这种报告类型。")},
    )
    date = forms.DateField(
        label=_("日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("日期格式应为 年-月-日，例如 2026-03-05。")},
    )

    def clean_date(self):  # type: ignore[no-untyped-def]
        from common.timeutil import date_in_sane_range, sane_range_message

        day = self.cleaned_data.get("date")
        if day and not date_in_sane_range(day):
            raise forms.ValidationError(sane_range_message())
        return day


class WorkReportFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    kind = forms.ChoiceField(
        label=_("报告类型"), required=False, choices=[("", _("全部类型")), *WorkReportKind.choices]
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", _("全部状态")), *WorkReportStatus.choices]
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("经理批注"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写批注。")},
    )
