"""Admin: plans are data (K12-checked edits, JSON export/import), targets, settings, the ledger."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from commissions.models import (
    CommissionForfeit,
    CommissionLine,
    CommissionPeriod,
    CommissionPlan,
    CommissionPolicy,
    Departure,
    KeyAccountUplift,
    PeriodCalculation,
    PlanAssignment,
    SalesTarget,
)
from commissions.services.plans import plan_check, plan_export, plan_import, plan_save
from common.errors import DomainError


class PlanAssignmentInline(admin.TabularInline):
    model = PlanAssignment
    extra = 0
    raw_id_fields = ("user",)


class CommissionPlanForm(forms.ModelForm):
    publish = forms.BooleanField(label=_("发布"), required=False, help_text=_("生效日期须在发布 30 天之后"))
    override_reason = forms.CharField(
        label=_("提前生效原因"), required=False, help_text=_("仅管理员：生效日期不足提前期时必须填写")
    )

    class Meta:
        model = CommissionPlan
        fields = ["effective_from", "effective_to", "definition"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.request: HttpRequest | None = kwargs.pop("request", None)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            plan_check(
                definition=data.get("definition"),
                effective_from=data["effective_from"],
                effective_to=data.get("effective_to"),
                publish=data.get("publish", False),
                override_reason=data.get("override_reason", ""),
                by=getattr(self.request, "user", None),
            )
        except DomainError as exc:
            field = exc.field if exc.field in self.fields else None
            self.add_error(field, str(exc.message))
        definition = data.get("definition")
        if self.instance.pk and isinstance(definition, dict) and definition.get("code") != self.instance.code:
            self.add_error("definition", _("方案代码不能修改；请新建方案。"))
        return data


@admin.register(CommissionPlan)
class CommissionPlanAdmin(admin.ModelAdmin):
    form = CommissionPlanForm
    list_display = (
        "code",
        "name",
        "effective_from",
        "effective_to",
        "approval_status",
        "published_at",
        "notice_override_reason",
    )
    list_filter = ("approval_status",)
    readonly_fields = (
        "code",
        "name",
        "approval_status",
        "approval_reason",
        "published_at",
        "published_by",
        "notice_override_reason",
        "notice_override_by",
    )
    inlines = [PlanAssignmentInline]
    actions = ["export_json"]
    change_list_template = "admin/commissions/commissionplan/change_list.html"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithRequest(form):  # type: ignore[valid-type,misc]
            def __init__(self, *a: Any, **kw: Any) -> None:
                kw["request"] = request
                super().__init__(*a, **kw)

        return WithRequest

    def save_model(self, request: HttpRequest, obj: CommissionPlan, form: Any, change: bool) -> None:
        d = form.cleaned_data
        saved = plan_save(
            definition=d["definition"],
            effective_from=d["effective_from"],
            effective_to=d.get("effective_to"),
            publish=d.get("publish", False),
            override_reason=d.get("override_reason", ""),
            by=request.user,  # type: ignore[arg-type]
        )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description=_("导出为 JSON 文件"))
    def export_json(self, request: HttpRequest, queryset: QuerySet[CommissionPlan]) -> HttpResponse:
        plans = [plan_export(plan=p) for p in queryset.order_by("code", "effective_from")]
        body = plans[0] if len(plans) == 1 else plans
        name = f"{plans[0]['code']}.json" if len(plans) == 1 else "commission_plans.json"
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def get_urls(self) -> list[Any]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="commissions_plan_import"),
            *super().get_urls(),
        ]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        form = PlanImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                raw = json.loads(form.cleaned_data["file"].read().decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                form.add_error("file", _("不是有效的 JSON：%(e)s") % {"e": exc})
            else:
                items = raw if isinstance(raw, list) else [raw]
                try:
                    for item in items:
                        plan_import(
                            data=item,
                            effective_from=form.cleaned_data["effective_from"],
                            publish=form.cleaned_data["publish"],
                            override_reason=form.cleaned_data["override_reason"],
                            by=request.user,  # type: ignore[arg-type]
                        )
                except DomainError as exc:
                    form.add_error(None, str(exc.message))
                else:
                    messages.success(
                        request,
                        ngettext("已导入 %(n)s 个方案。", "已导入 %(n)s 个方案。", len(items))
                        % {"n": len(items)},
                    )
                    return HttpResponseRedirect(reverse("admin:commissions_commissionplan_changelist"))
        context = {**self.admin_site.each_context(request), "form": form, "title": _("导入提成方案")}
        return render(request, "admin/commissions/commissionplan/import.html", context)


class PlanImportForm(forms.Form):
    file = forms.FileField(label=_("方案文件（JSON）"))
    effective_from = forms.DateField(
        label=_("生效日期"), required=False, help_text=_("留空则使用文件中的日期")
    )
    publish = forms.BooleanField(label=_("立即发布"), required=False)
    override_reason = forms.CharField(label=_("提前生效原因"), required=False)


@admin.register(CommissionLine)
class CommissionLineAdmin(admin.ModelAdmin):
    list_display = ("period", "payee_user", "payee_partner", "kind", "status", "component", "amount")
    list_filter = ("kind", "status", "period")
    raw_id_fields = ("payee_user", "payee_partner", "order", "credit_share", "corrects", "plan")
    show_full_result_count = False

    # Issue 17: a line typed into the admin would flow into the next settlement. Lines come only from
    # the engine (commission run) or an approved adjustment; the admin only shows them.
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the ledger is written by services only (K10: lines are added, never edited)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CommissionPolicy)
class CommissionPolicyAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "plan_notice_days")


@admin.register(SalesTarget)
class SalesTargetAdmin(admin.ModelAdmin):
    list_display = ("user", "partner", "period", "annual", "amount")
    list_filter = ("annual", "period")
    raw_id_fields = ("user", "partner")


@admin.register(Departure)
class DepartureAdmin(admin.ModelAdmin):
    list_display = ("user", "left_on", "reason")
    raw_id_fields = ("user",)


@admin.register(KeyAccountUplift)
class KeyAccountUpliftAdmin(admin.ModelAdmin):
    list_display = ("customer", "user", "year", "reason")
    raw_id_fields = ("customer", "user")


@admin.register(CommissionPeriod)
class CommissionPeriodAdmin(admin.ModelAdmin):
    list_display = ("period", "closed", "closed_at", "last_run_at")
    readonly_fields = ("period", "closed", "closed_at", "last_run_at")


@admin.register(CommissionForfeit)
class CommissionForfeitAdmin(admin.ModelAdmin):
    list_display = ("payee_user", "payee_partner", "reason", "by", "at", "lines", "amount")
    readonly_fields = ("payee_user", "payee_partner", "reason", "by", "at", "lines", "amount")


@admin.register(PeriodCalculation)
class PeriodCalculationAdmin(admin.ModelAdmin):
    list_display = ("key", "period", "payee_user", "payee_partner", "sales", "total")
    readonly_fields = ("key", "period", "payee_user", "payee_partner", "plan", "sales", "total", "result")
