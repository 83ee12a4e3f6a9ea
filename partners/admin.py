from django.contrib import admin

from partners.models import (
    CollisionCase,
    CollisionEvent,
    CollisionParty,
    CreditShare,
    ExecutiveAttachment,
    Partner,
    PartnersPolicy,
    Referral,
)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    """Register new partners (with their login) on the 合伙人 page, which calls `partner_register`."""

    list_display = ("name", "kind", "region", "phone", "user", "is_active")
    list_filter = ("kind", "region", "is_active")
    search_fields = ("name", "phone")
    readonly_fields = ("user",)


@admin.register(PartnersPolicy)
class PartnersPolicyAdmin(admin.ModelAdmin):
    """SPEC defaults (same-day tolerance, N working days, default split, executive split), effective-dated."""

    list_display = (
        "effective_from",
        "same_day_tolerance_days",
        "escalate_after_workdays",
        "default_split",
        "executive_share",
        "referral_share",
    )


class PartyInline(admin.TabularInline):
    model = CollisionParty
    extra = 0
    can_delete = False
    fields = ("user", "partner", "role", "registered_at", "first_contact_at", "agreed_at", "split_share")
    readonly_fields = fields


class EventInline(admin.TabularInline):
    model = CollisionEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "by", "comment")
    readonly_fields = fields


@admin.register(CollisionCase)
class CollisionCaseAdmin(admin.ModelAdmin):
    """Read-only: cases move only through `collision_transition` (the 撞单 pages and API)."""

    list_display = (
        "id",
        "customer",
        "status",
        "proposed_rule",
        "resolution",
        "region",
        "opened_at",
        "deadline",
    )
    list_filter = ("status", "resolution", "source", "region")
    search_fields = ("customer__name",)
    inlines = [PartyInline, EventInline]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Referral)
class ReferralAdmin(admin.ModelAdmin):
    """Read-only: referrals are recorded on the 登记推荐 page / API (`referral_create`)."""

    list_display = ("partner", "customer", "order", "share", "created_by", "created_at")
    list_filter = ("partner__kind",)
    search_fields = ("partner__name", "customer__name")
    raw_id_fields = ("customer", "order")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # a referral feeds frozen credit; corrections are new rows


@admin.register(ExecutiveAttachment)
class ExecutiveAttachmentAdmin(admin.ModelAdmin):
    list_display = ("customer", "executive", "attached_by", "attached_at")
    raw_id_fields = ("customer", "executive", "attached_by")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # attach on the customer page (account_executive_attach)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # [002 §10] cannot be ended


@admin.register(CreditShare)
class CreditShareAdmin(admin.ModelAdmin):
    list_display = ("order", "user", "partner", "role", "share")
    raw_id_fields = ("order", "user", "partner")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # P4: frozen at booking
