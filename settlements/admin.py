"""Admin: the policy is editable; settlements, lines, history and payouts are read-only here (S3) —
every change goes through the services (pages/API)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from settlements import policy
from settlements.models import (
    LOCKED_STATUSES,
    Dispute,
    ExportJob,
    LineDeferral,
    OverdueFlag,
    PartnerTicketStock,
    PayeeBankAccount,
    Payout,
    Settlement,
    SettlementLine,
    SettlementPolicy,
    SettlementStep,
    TicketSale,
)


@admin.register(SettlementPolicy)
class SettlementPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "effective_from",
        "collect_day",
        "approval_day",
        "payout_confirm_day",
        "payout_day",
        "dispute_workdays",
        "generate_day",
        "auto_generate",
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):
    model = SettlementLine
    extra = 0
    fields = ("category", "kind", "quantity", "unit_price", "amount", "rebate", "description", "corrects")
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(admin.TabularInline):
    model = SettlementStep
    extra = 0
    fields = ("acted_at", "actor", "action", "from_status", "to_status", "comment")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    list_display = ("month", "payee_name", "status", "line_total", "prior_balance", "payout_amount")
    list_filter = ("status", "month")
    search_fields = ("payee_name",)
    exclude = ("account_number",)  # S4: masked everywhere except finance's export
    readonly_fields = ("masked_account",)
    inlines = [LineInline, StepInline]
    show_full_result_count = False


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ("settlement", "line", "raised_by", "status", "outcome", "adjustment_amount")
    list_filter = ("status", "outcome")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ("settlement", "paid_on", "bank_reference", "amount", "recorded_by")


@admin.register(PayeeBankAccount)
class PayeeBankAccountAdmin(admin.ModelAdmin):
    list_display = ("user", "bank_name", "account_holder", "masked")
    raw_id_fields = ("user",)

    @admin.display(description=_("银行卡号"))
    def masked(self, obj: PayeeBankAccount) -> str:
        from settlements.models import mask_account

        return mask_account(obj.account_number)


@admin.register(LineDeferral)
class LineDeferralAdmin(ReadOnlyAdmin):
    list_display = ("commission_line", "month", "reason", "deferred_by", "created_at")


@admin.register(OverdueFlag)
class OverdueFlagAdmin(ReadOnlyAdmin):
    list_display = ("user", "settlement", "status", "due_on", "as_manager", "created_at", "read_at")


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ("month", "requested_by", "status", "progress", "created_at")


@admin.register(PartnerTicketStock)
class PartnerTicketStockAdmin(admin.ModelAdmin):
    """K13: finance records the tickets a partner owns (票价 × 票数量)."""

    list_display = ("partner", "course_name", "ticket_price", "quantity", "acquired_on")
    list_filter = ("course_name",)
    search_fields = ("partner__name", "course_name")
    raw_id_fields = ("partner",)


@admin.register(TicketSale)
class TicketSaleAdmin(admin.ModelAdmin):
    """K13: the attendees a partner brought (结算信息一览表 rows). The deduction columns are computed when
    the month's settlement is generated, never typed in."""

    list_display = ("month", "partner", "attendee_name", "course_name", "quantity", "deducted_amount")
    list_filter = ("month", "course_name")
    search_fields = ("partner__name", "attendee_name")
    raw_id_fields = ("partner",)
    readonly_fields = ("deducted_price", "deducted_quantity", "deducted_amount")

    def get_exclude(self, request, obj=None):  # type: ignore[no-untyped-def]
        # 身份证号 is read by finance only: the policy that unmasks the export's ID and bank fields.
        unmasked = request.user.is_superuser or policy.can_see_unmasked_bank_account(request.user)
        return () if unmasked else ("id_number",)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # S3: an approved month's rows are what was signed; corrections go to the next open month.
        if obj is not None and locked_month(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        if obj is not None and locked_month(obj):
            return False
        return super().has_delete_permission(request, obj)


def locked_month(sale: TicketSale) -> bool:
    return Settlement.objects.filter(
        payee_partner_id=sale.partner_id, month=sale.month, status__in=LOCKED_STATUSES
    ).exists()
