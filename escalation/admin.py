from django.contrib import admin

from escalation.models import SupportGroup


@admin.register(SupportGroup)
class SupportGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "lead"]
    list_filter = ["tier"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    raw_id_fields = ["lead"]
