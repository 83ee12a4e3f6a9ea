from django.contrib import admin

from commissions.models import CommissionLine, CommissionPlan, PlanAssignment


class PlanAssignmentInline(admin.TabularInline):
    model = PlanAssignment
    extra = 0
    raw_id_fields = ("user",)


@admin.register(CommissionPlan)
class CommissionPlanAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "effective_from", "effective_to", "published_at")
    inlines = [PlanAssignmentInline]


@admin.register(CommissionLine)
class CommissionLineAdmin(admin.ModelAdmin):
    list_display = ("period", "payee_user", "payee_partner", "kind", "status", "component", "amount")
    list_filter = ("kind", "status", "period")
    raw_id_fields = ("payee_user", "payee_partner", "order", "credit_share", "corrects")
    show_full_result_count = False
