from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest

from helpdesk.admin import ReadOnlyAdmin, ServiceWrittenAdmin
from tickets.forms import CategoryChoiceField
from tickets.models import Attachment, Category, Comment, Ticket, TicketEvent


class CategoryTreePickerMixin:
    """Category drop-downs in the admin list the tree, like every other picker."""

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.related_model is Category and db_field.name not in getattr(
            self, "raw_id_fields", ()
        ):
            kwargs["form_class"] = CategoryChoiceField
            queryset = Category.objects.select_related("parent")
            if self.model is Category:  # type: ignore[attr-defined]
                queryset = queryset.filter(parent__isnull=True)  # two levels: parents are tops
            kwargs.setdefault("queryset", queryset)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


@admin.register(Category)
class CategoryAdmin(CategoryTreePickerMixin, admin.ModelAdmin):
    list_display = ["name", "name_es", "parent", "is_active"]
    list_filter = ["is_active", "parent"]
    search_fields = ["name", "name_es"]


class CommentInline(admin.TabularInline):
    model = Comment
    extra = 0
    fields = ["author", "is_internal", "created_at", "body"]
    readonly_fields = ["author", "is_internal", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = [
        "created_at",
        "actor",
        "kind",
        "transition",
        "from_status",
        "to_status",
        "changes",
        "reason",
    ]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Ticket)
class TicketAdmin(ServiceWrittenAdmin):
    """Read-mostly: the lifecycle is driven by the services (the ticket page and the API)."""

    editable_texts = ("title", "description", "contact_name", "contact_phone", "affected")
    list_display = ["reference", "title", "status", "priority", "tier", "assignee", "created_at"]
    list_filter = ["status", "kind", "tier", "priority"]
    search_fields = ["title", "=id"]
    inlines = [CommentInline, EventInline]
    show_full_result_count = False  # no COUNT(*) over a million rows


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    """The ticket history is an audit trail: readable here, never written or removed."""

    list_display = [
        "ticket",
        "kind",
        "transition",
        "from_status",
        "to_status",
        "actor",
        "created_at",
    ]
    list_filter = ["kind", "transition"]
    show_full_result_count = False


@admin.register(Comment)
class CommentAdmin(ServiceWrittenAdmin):
    editable_texts = ("body",)
    list_display = ["ticket", "author", "is_internal", "created_at"]
    list_filter = ["is_internal"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ServiceWrittenAdmin):
    list_display = ["filename", "ticket", "size", "is_internal", "created_at"]
