from django.contrib import admin

from common.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "text", "created_at", "read_at")
    raw_id_fields = ("user",)
    search_fields = ("text",)
    show_full_result_count = False
