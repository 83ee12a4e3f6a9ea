"""Forms of the org page (regions, departments, people): shapes only; crm.services.org holds the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import Department, Region, Role, User


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj}（{obj.username}）"


def _people() -> Any:
    return User.objects.filter(is_active=True).order_by("display_name", "username")


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.region.name} / {obj.name}"


def _departments() -> Any:
    return Department.objects.select_related("region").order_by("region__name", "path")


class RegionForm(forms.Form):
    name = forms.CharField(label=_("大区名称"), max_length=50)
    manager = PersonChoiceField(label=_("大区经理"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = _people()  # type: ignore[attr-defined]


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("部门名称"), max_length=80)
    region = forms.ModelChoiceField(label=_("大区"), queryset=Region.objects.none())
    parent = DepartmentChoiceField(
        label=_("上级部门"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("不选表示直属大区。"),
    )
    manager = PersonChoiceField(label=_("部门经理"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["parent"].queryset = _departments()  # type: ignore[attr-defined]
        self.fields["manager"].queryset = _people()  # type: ignore[attr-defined]


class PersonForm(forms.Form):
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    username = forms.CharField(label=_("登录名"), max_length=150)
    phone = forms.CharField(label=_("手机"), max_length=20, required=False)
    email = forms.EmailField(label=_("邮箱"), required=False)
    department = DepartmentChoiceField(label=_("部门"), queryset=Department.objects.none(), required=False)
    manager = PersonChoiceField(label=_("直属上级"), queryset=User.objects.none(), required=False)
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    is_active = forms.BooleanField(
        label=_("在职（可以登录）"), required=False, initial=True, help_text=_("取消勾选即停用账号。")
    )
    password = forms.CharField(
        label=_("设置新密码"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("留空则不修改；新建时留空，本人须通过“忘记密码”设置密码。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = _departments()  # type: ignore[attr-defined]
        self.fields["manager"].queryset = _people()  # type: ignore[attr-defined]


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索姓名、登录名或手机"), required=False, max_length=100)
    department = forms.IntegerField(required=False, widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("角色"), required=False, choices=[("", _("全部角色")), *Role.choices])
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("1", _("在职")), ("0", _("已停用"))],
    )
