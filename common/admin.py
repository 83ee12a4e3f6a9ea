from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from common.models import AuditEvent, ExportLog, Notification, WorkCalendarDay, WorkCalendarYear
from common.timeutil import local_today
from common.workdays import next_year_missing, work_calendar_notice


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "text", "created_at", "read_at")
    raw_id_fields = ("user",)
    search_fields = ("text",)
    show_full_result_count = False


class WorkCalendarDayInline(admin.TabularInline):
    model = WorkCalendarDay
    extra = 10


@admin.register(WorkCalendarYear)
class WorkCalendarYearAdmin(admin.ModelAdmin):
    """W1: a year's 放假/调休 days as the State Council publishes them; they override `chinesecalendar`."""

    list_display = ("year", "source")
    inlines = [WorkCalendarDayInline]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if next_year_missing(today=local_today()) is not None:
            messages.warning(request, work_calendar_notice(today=local_today()))
        return super().changelist_view(request, extra_context)


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Who exported what and how many rows; a record, so nobody edits or deletes it here."""

    list_display = ("created_at", "user", "kind", "rows", "filters")
    list_filter = ("kind",)
    search_fields = ("user__username", "kind")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Issue 17: the audit trail, read-only; filter by person, action and date."""

    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "ip")
    list_filter = ("action", ("actor", admin.RelatedOnlyFieldListFilter), "at")
    date_hierarchy = "at"
    search_fields = ("actor_name", "object_repr", "object_id")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
