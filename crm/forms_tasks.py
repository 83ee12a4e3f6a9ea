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
