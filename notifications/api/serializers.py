from rest_framework import serializers

from helpdesk.serializers import KnownFieldsOnlyMixin
from notifications.models import InAppNotification
from notifications.selectors import in_app_link


class InAppNotificationSerializer(
    KnownFieldsOnlyMixin, serializers.ModelSerializer[InAppNotification]
):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    ticket_reference = serializers.SerializerMethodField()
    ticket_title = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField(help_text='The page it is about ("" when none).')
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = InAppNotification
        fields = [
            "id",
            "kind",
            "kind_label",
            "ticket",
            "ticket_reference",
            "ticket_title",
            "url",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_ticket_reference(self, obj: InAppNotification) -> str:
        return obj.ticket.reference if obj.ticket else ""

    def get_ticket_title(self, obj: InAppNotification) -> str:
        return obj.ticket.title if obj.ticket else ""

    def get_url(self, obj: InAppNotification) -> str:
        return in_app_link(obj)

    def get_is_read(self, obj: InAppNotification) -> bool:
        return obj.read_at is not None


class UnreadCountSerializer(KnownFieldsOnlyMixin, serializers.Serializer[dict[str, int]]):
    unread = serializers.IntegerField()


class MarkedSerializer(KnownFieldsOnlyMixin, serializers.Serializer[dict[str, int]]):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")
