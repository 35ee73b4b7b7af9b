from django.contrib import admin

from savedviews.models import SavedView


@admin.register(SavedView)
class SavedViewAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "group", "updated_at"]
    list_filter = ["group"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
