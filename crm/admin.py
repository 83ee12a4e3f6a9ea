from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from crm import models as m
from crm.services.org import role_labels


def role_label(code: str) -> str:
    """A role's name in the business's words (the group is named by the role's code)."""
    return next(iter(role_labels([code])), code)


class RoleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return role_label(obj.name)


class RoleListFilter(admin.SimpleListFilter):
    title = _("角色")
    parameter_name = "role"

    def lookups(self, request: Any, model_admin: Any) -> Any:
        return m.Role.choices

    def queryset(self, request: Any, queryset: Any) -> Any:
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(m.User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("组织"), {"fields": ("display_name", "phone", "department", "manager", "industries")}),
    )
    list_display = ("username", "display_name", "department", "manager", "roles_display", "is_active")
    list_filter = (RoleListFilter, "department", "is_active")

    def get_queryset(self, request: Any) -> Any:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("角色"))
    def roles_display(self, obj: m.User) -> str:
        return "、".join(role_labels(g.name for g in obj.groups.all()))

    def formfield_for_manytomany(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "groups":
            kwargs["form_class"] = RoleChoiceField
            kwargs["label"] = _("角色")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    search_fields = ("username", "display_name", "phone")
    autocomplete_fields = ("department", "manager")
    filter_horizontal = ("groups", "user_permissions", "industries")


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(BaseGroupAdmin):
    """Roles are groups named by their code; the admin shows them by their Chinese name."""

    list_display = ("role_name", "name")

    @admin.display(description=_("角色"), ordering="name")
    def role_name(self, obj: Group) -> str:
        return role_label(obj.name)


@admin.register(m.Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("name", "manager")
    search_fields = ("name",)


@admin.register(m.Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "parent", "manager")
    list_filter = ("region",)
    search_fields = ("name",)


@admin.register(m.Industry)
class IndustryAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class ContactInline(admin.TabularInline):
    model = m.Contact
    extra = 0


@admin.register(m.Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "grade",
        "status",
        "owner",
        "region",
        "industry",
        "review_status",
        "last_contacted_at",
    )
    list_filter = ("grade", "status", "review_status", "region", "industry")
    search_fields = ("name", "phone", "credit_code")
    raw_id_fields = ("created_by", "reviewed_by")
    # P1/P4: owner and account executive change only through their services (history, pool, credit);
    # issue 17: the key-account class only through an approved request (C4).
    readonly_fields = (
        "name_normalized",
        "last_contacted_at",
        "owned_since",
        "owner",
        "account_executive",
        "key_account_class",
    )
    inlines = [ContactInline]
    show_full_result_count = False


@admin.register(m.FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
    list_display = ("customer", "author", "occurred_at", "channel", "topic")
    list_filter = ("channel",)
    raw_id_fields = ("customer", "author", "contact", "opportunity")
    show_full_result_count = False


@admin.register(m.Outing)
class OutingAdmin(admin.ModelAdmin):
    list_display = ("user", "customer", "planned_at")
    raw_id_fields = ("user", "customer")


for model in (m.Opportunity, m.Contract, m.Order, m.Payment, m.WriteOff):
    admin.site.register(model, raw_id_fields=[f.name for f in model._meta.fields if f.many_to_one])

from crm import admin_pipeline  # noqa: E402, F401  (pipeline settings: matrix, stages, lead rules, policy)


class PoolGradeRuleInline(admin.TabularInline):
    model = m.PoolGradeRule
    extra = 0


@admin.register(m.PoolPolicy)
class PoolPolicyAdmin(admin.ModelAdmin):
    """C9/C10: thresholds, exemptions and claim limits, without a deploy (one row)."""

    list_display = ("__str__", "daily_claim_limit", "max_owned", "cooling_off_days", "updated_at")
    inlines = [PoolGradeRuleInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return not m.PoolPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(m.PoolRelease)
class PoolReleaseAdmin(admin.ModelAdmin):
    list_display = ("customer", "previous_owner", "released_at", "reason")
    raw_id_fields = ("customer", "previous_owner")
    date_hierarchy = "released_at"
    show_full_result_count = False


@admin.register(m.PoolClaim)
class PoolClaimAdmin(admin.ModelAdmin):
    list_display = ("customer", "user", "claimed_at", "assigned_by")
    raw_id_fields = ("customer", "user", "assigned_by")
    show_full_result_count = False


@admin.register(m.PoolWarning)
class PoolWarningAdmin(admin.ModelAdmin):
    list_display = ("customer", "owner", "threshold", "days", "created_at")
    list_filter = ("threshold",)
    raw_id_fields = ("customer", "owner")
    show_full_result_count = False


@admin.register(m.OwnershipChange)
class OwnershipChangeAdmin(admin.ModelAdmin):
    list_display = ("customer", "from_user", "to_user", "reason", "collision_id", "changed_by", "changed_at")
    list_filter = ("reason",)
    raw_id_fields = ("customer", "from_user", "to_user", "changed_by")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # P1: history is never edited


@admin.register(m.IndustryPermit)
class IndustryPermitAdmin(admin.ModelAdmin):
    """001 第八章: who may sell outside their own industry, and who allowed it."""

    list_display = ("user", "industry", "granted_by", "granted_at", "note")
    list_filter = ("industry",)
    autocomplete_fields = ("user", "granted_by")
    search_fields = ("user__username", "user__display_name")


@admin.register(m.KeyAccountClassChange)
class KeyAccountClassChangeAdmin(admin.ModelAdmin):
    """C4 history: read-only (requests are made and decided through the approval chain)."""

    list_display = (
        "customer",
        "from_class",
        "to_class",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
    )
    list_filter = ("status", "to_class")
    raw_id_fields = ("customer", "requested_by", "decided_by")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(m.Category)
class CategoryAdmin(admin.ModelAdmin):
    """Product categories: the code is what commission plans key their rates by (kept once used)."""

    list_display = ("code", "name", "name_en", "active", "sort_order")
    list_editable = ("active", "sort_order")
    search_fields = ("code", "name", "name_en")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ("code",) if obj is not None else ()


class ProductPriceInline(admin.TabularInline):
    model = m.ProductPrice
    extra = 0
    fields = ("effective_from", "list_price", "floor_price", "unit_cost", "created_by")
    readonly_fields = ("created_by",)


@admin.register(m.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "unit", "cost_basis", "active")
    list_filter = ("category", "cost_basis", "active")
    search_fields = ("code", "name")
    inlines = [ProductPriceInline]
