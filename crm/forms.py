from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Customer, FollowUp, Grade, Industry, Region, User


class CustomerForm(forms.ModelForm):
    # 003 §4.3: the date of first contact decides whether the customer may still be entered.
    first_contact_on = forms.DateField(
        label=_("首次接触日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("新客户须在首次接触后 7 天内录入，特殊情况不超过 10 天（须填写原因）。"),
    )

    class Meta:
        model = Customer
        fields = [
            "name",
            "contact_person",
            "contact_position",
            "phone",
            "status",
            "grade",
            "credit_code",
            "region",
            "industry",
            "address",
            "website",
            "source",
            "notes",
            "tags",
            "late_entry_reason",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self) -> None:  # C2 is the service's job: it says who owns the twin.
        pass


class CustomerEditForm(CustomerForm):
    """Edit a customer; a grade change may carry a reason, kept in the grade history (C3)."""

    grade_reason = forms.CharField(
        label=_("等级变更原因"),
        max_length=200,
        required=False,
        help_text=_("修改客户等级时填写，会记入等级变更历史。"),
    )

    first_contact_on = None  # type: ignore[assignment]  # fixed once the customer is entered (003 §4.3)

    class Meta(CustomerForm.Meta):
        fields = [f for f in CustomerForm.Meta.fields if f != "late_entry_reason"] + ["key_account_class"]


class AssignForm(forms.Form):
    to_user: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("分配给"), queryset=User.objects.none(), empty_label=None
    )
    note = forms.CharField(label=_("说明"), max_length=500, required=False)

    def __init__(self, *args, users, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = users  # type: ignore[attr-defined]


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "position", "role", "phone", "email", "notes"]


class FollowUpForm(forms.ModelForm):
    occurred_at = forms.DateTimeField(
        label=_("沟通时间"),
        required=False,
        help_text=_("不填即为现在。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    class Meta:
        model = FollowUp
        fields = [
            "occurred_at",
            "channel",
            "topic",
            "purpose",
            "outcome",
            "next_step",
            "next_date",
            "contact",
        ]
        widgets = {
            "outcome": forms.Textarea(attrs={"rows": 3}),
            "next_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, customer: Customer, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = customer.contacts.all()  # type: ignore[attr-defined]
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().strftime("%Y-%m-%dT%H:%M"))

    def clean_occurred_at(self):  # type: ignore[no-untyped-def]
        return self.cleaned_data.get("occurred_at") or timezone.now()


class QuickFollowUpForm(forms.ModelForm):
    """C7 on a phone: channel, topic, a line of outcome and the next date — the rest defaults."""

    class Meta:
        model = FollowUp
        fields = ["channel", "topic", "outcome", "next_date"]
        widgets = {
            "outcome": forms.Textarea(attrs={"rows": 2}),
            "next_date": forms.DateInput(attrs={"type": "date"}),
        }


class OutingForm(forms.Form):
    customer_name = forms.CharField(
        label=_("拜访客户（公司全称）"),
        max_length=200,
        widget=forms.TextInput(attrs={"list": "my-customers", "autocomplete": "off"}),
    )
    planned_at = forms.DateTimeField(
        label=_("计划时间"),
        required=False,
        help_text=_("不填即为现在。"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    purpose = forms.CharField(label=_("事由"), max_length=200, required=False)


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核结果"), choices=[("approved", _("通过")), ("rejected", _("驳回"))]
    )
    reason = forms.CharField(label=_("意见"), max_length=500, required=False)


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    grade = forms.ChoiceField(label=_("等级"), required=False, choices=[("", _("全部等级")), *Grade.choices])
    region = forms.ModelChoiceField(
        label=_("大区"), required=False, queryset=Region.objects.all(), empty_label=_("全部大区")
    )
    industry = forms.ModelChoiceField(
        label=_("行业"), required=False, queryset=Industry.objects.all(), empty_label=_("全部行业")
    )
    status = forms.ChoiceField(label=_("状态"), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from crm.models import CustomerStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部状态")), *CustomerStatus.choices]
