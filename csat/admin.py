from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from csat.models import SatisfactionSurvey


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(admin.ModelAdmin):
    """Read-only: answers come from requesters only."""

    list_display = ["ticket", "rating", "tier", "category", "agent", "answered_at"]
    list_filter = ["rating", "tier"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
