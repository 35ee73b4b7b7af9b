from django.contrib import admin

from kb.models import Article, TicketLink


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "visibility", "category", "updated_at"]
    list_filter = ["language", "visibility"]
    search_fields = ["title"]
    raw_id_fields = ["source_ticket", "author", "updated_by", "category"]


@admin.register(TicketLink)
class TicketLinkAdmin(admin.ModelAdmin):
    list_display = ["from_ticket", "to_ticket", "created_by", "created_at"]
    raw_id_fields = ["from_ticket", "to_ticket", "created_by"]
