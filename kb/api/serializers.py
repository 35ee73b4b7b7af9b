from rest_framework import serializers

from helpdesk.serializers import KnownFieldsOnlyMixin
from kb.models import Article, Language, Visibility
from tickets.models import Category, Ticket


class ArticleListSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    category = serializers.CharField(
        source="category.path", default=None, read_only=True, allow_null=True
    )
    url = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = ["id", "title", "language", "category", "visibility", "updated_at", "url"]

    def get_url(self, article: Article) -> str:
        return f"/kb/{article.pk}/"


class ArticleDetailSerializer(ArticleListSerializer):
    category_id = serializers.IntegerField(read_only=True, allow_null=True)
    source_ticket_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(ArticleListSerializer.Meta):
        fields = [*ArticleListSerializer.Meta.fields, "body", "category_id", "source_ticket_id"]


class ArticleWriteSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices, default=Language.ENGLISH)
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.INTERNAL)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True
    )
    source_ticket = serializers.IntegerField(
        required=False, help_text="Promote this resolved ticket's resolution (its id)."
    )


class SimilarIncidentSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    category = serializers.CharField(
        source="category.path", default=None, read_only=True, allow_null=True
    )
    similarity = serializers.FloatField(read_only=True)
    same_category = serializers.BooleanField(read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "reference",
            "title",
            "status",
            "category",
            "resolution_summary",
            "resolved_at",
            "similarity",
            "same_category",
        ]


class TicketLinkCreateSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    ticket = serializers.IntegerField()
    related = serializers.IntegerField()


class TicketLinkSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    id = serializers.IntegerField()
    ticket = serializers.IntegerField(source="from_ticket_id")
    related = serializers.IntegerField(source="to_ticket_id")
    created_at = serializers.DateTimeField()
