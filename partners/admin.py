from django.contrib import admin

from partners.models import CreditShare, OwnershipChange, Partner


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "region", "phone", "is_active")
    list_filter = ("kind", "region", "is_active")
    search_fields = ("name", "phone")


@admin.register(OwnershipChange)
class OwnershipChangeAdmin(admin.ModelAdmin):
    list_display = ("customer", "from_user", "to_user", "reason", "changed_by", "changed_at")
    list_filter = ("reason",)
    raw_id_fields = ("customer", "from_user", "to_user", "changed_by")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # P1: history is never edited


@admin.register(CreditShare)
class CreditShareAdmin(admin.ModelAdmin):
    list_display = ("order", "user", "partner", "role", "share")
    raw_id_fields = ("order", "user", "partner")
