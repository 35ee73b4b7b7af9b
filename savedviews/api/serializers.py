from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from escalation.models import SupportGroup
from helpdesk.serializers import KnownFieldsOnlyMixin
from savedviews.models import SavedView, Visibility


class SavedViewSerializer(KnownFieldsOnlyMixin, serializers.ModelSerializer):
    """A view as its reader sees it: `is_default` and `count` are the reader's."""

    owner = serializers.CharField(source="owner.name", read_only=True)
    is_mine = serializers.SerializerMethodField()
    visibility = serializers.ChoiceField(choices=Visibility.choices, read_only=True)
    # Null on a private or public view (only a group view has a group).
    group: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )
    group_name = serializers.CharField(
        source="group.name", read_only=True, default=None, allow_null=True
    )
    is_default = serializers.BooleanField(read_only=True)
    count = serializers.SerializerMethodField(
        help_text='How many tickets the view lists now, capped ("999+").'
    )
    console_url = serializers.SerializerMethodField()

    class Meta:
        model = SavedView
        fields = [
            "id",
            "name",
            "query",
            "visibility",
            "group",
            "group_name",
            "owner",
            "is_mine",
            "is_default",
            "count",
            "console_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_is_mine(self, view: SavedView) -> bool:
        return bool(view.owner_id == self.context["request"].user.pk)

    def get_count(self, view: SavedView) -> str:
        counts: dict[int, str] = self.context.get("counts", {})
        return counts.get(view.pk, "")

    def get_console_url(self, view: SavedView) -> str:
        return f"{reverse('console')}?{view.query}"


class SavedViewWriteSerializer(KnownFieldsOnlyMixin, serializers.Serializer):
    """Create (name and query required) or change (PATCH: only what is sent) a view."""

    name = serializers.CharField(max_length=80)
    query = serializers.CharField(
        max_length=1000,
        allow_blank=True,
        help_text="The console's query string, e.g. `queue=l1&status=open&priority=1&sort=oldest`.",
    )
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(),
        required=False,
        allow_null=True,
        help_text="One of your groups; may be left out when you belong to one group only.",
    )
    is_default = serializers.BooleanField(
        required=False, help_text="On create: make it your default."
    )

    default_error_messages = {"empty": _("Nothing to change.")}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.partial and not attrs:
            self.fail("empty")
        return attrs
