"""Admin for the pipeline settings admins edit without a deploy: the authority matrix (Q2), the funnel
stages (L2), the lead assignment table (L1), the pipeline policy (L2/Q6 defaults) and, read only, the
published A2 standings the lead rotation applies (003 §12.4)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from crm import models as m
from crm import policy
from crm.services.authority import chain_words as authority_chain_words


@admin.register(m.AuthorityRule)
class AuthorityRuleAdmin(SimpleHistoryAdmin):
    list_display = (
        "kind",
        "priority",
        "name",
        "ratio_min",
        "ratio_max",
        "amount_max",
        "requires_standard_template",
        "chain_words",
        "effective_from",
        "effective_to",
    )
    list_filter = ("kind",)
    ordering = ("kind", "priority")

    @admin.display(description=_("审批链"))
    def chain_words(self, obj: m.AuthorityRule) -> str:
        """The chain by role name (销售管理部经理 → 研发副总裁), not by role code."""
        return " → ".join(authority_chain_words(obj.chain))


@admin.register(m.PipelineStage)
class PipelineStageAdmin(SimpleHistoryAdmin):
    list_display = ("position", "code", "name", "probability", "is_won", "is_lost", "active")
    list_editable = ("name", "probability", "active")
    list_display_links = ("code",)


@admin.register(m.LeadAssignmentRule)
class LeadAssignmentRuleAdmin(SimpleHistoryAdmin):
    list_display = ("region", "industry", "active", "last_assigned")
    list_filter = ("region", "active")
    filter_horizontal = ("users",)

    def formfield_for_manytomany(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "users":  # L1: only frontline sellers take part in the rotation
            kwargs["queryset"] = policy.frontline_sellers().order_by("username")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(m.PipelinePolicy)
class PipelinePolicyAdmin(SimpleHistoryAdmin):
    list_display = (
        "effective_from",
        "close_within_workdays",
        "payment_terms_days",
        "watch_months",
        "meeting_months",
        "bad_debt_months",
    )


class ApprovalStepInline(admin.TabularInline):
    model = m.ApprovalStep
    extra = 0
    can_delete = False
    readonly_fields = ("order", "roles", "assignee", "status", "decided_by", "decided_at", "reason")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(m.ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Read-only: decisions are made on the inbox page / API so the matrix rules always apply."""

    list_display = ("title", "kind", "status", "requested_by", "created_at")
    list_filter = ("kind", "status")
    inlines = [ApprovalStepInline]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


for model in (m.Lead, m.Quote, m.Invoice, m.Concession):
    admin.site.register(model, raw_id_fields=[f.name for f in model._meta.fields if f.many_to_one])


class RotationStandingInline(admin.TabularInline):
    model = m.RotationStanding
    fields = ("kind", "position", "user")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(m.RotationMonth)
class RotationMonthAdmin(admin.ModelAdmin):
    """003 §12.4 as the lead rotation applies it: the published A2 months, read only (published by the job
    on the 1st or `manage.py a2_publish --month YYYY-MM`)."""

    list_display = ("month", "published_at")
    fields = ("month", "published_at")
    readonly_fields = fields
    inlines = [RotationStandingInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
