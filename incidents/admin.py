from django.contrib import admin

from incidents.models import MajorIncident, MajorIncidentLink, StatusUpdate


class LinkInline(admin.TabularInline):
    model = MajorIncidentLink
    extra = 0
    raw_id_fields = ["ticket", "linked_by"]


class UpdateInline(admin.StackedInline):
    model = StatusUpdate
    extra = 0
    raw_id_fields = ["author"]


@admin.register(MajorIncident)
class MajorIncidentAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "public_title",
        "status",
        "started_at",
        "resolved_at",
        "next_update_due_at",
    ]
    list_filter = ["status"]
    search_fields = ["public_title", "public_title_es"]
    raw_id_fields = ["ticket", "owner"]
    inlines = [LinkInline, UpdateInline]
