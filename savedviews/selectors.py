"""Reads of saved views. `saved_views_visible_to` is the one gate: the owner's views and those
shared with a support group the user belongs to; anyone else gets a 404."""

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import User
from escalation.models import SupportGroup
from savedviews.models import DefaultView, SavedView


def saved_views_visible_to(*, user: User) -> QuerySet[SavedView]:
    """The views a user lists, each with `is_default` (the user's default); one query."""
    if not (user.is_authenticated and user.is_active and user.is_staff_member):
        return SavedView.objects.none()
    my_groups = SupportGroup.objects.filter(members=user).values("pk")
    return (
        SavedView.objects.filter(Q(owner=user) | Q(group__in=my_groups))
        .select_related("owner", "group")
        .annotate(is_default=Exists(DefaultView.objects.filter(user=user, view=OuterRef("pk"))))
        .order_by("name", "id")
    )


def saved_view_get_for_user(*, user: User, view_id: int | str) -> SavedView:
    """A view the user may read, or 404 (another group's or another agent's private view)."""
    try:
        return saved_views_visible_to(user=user).get(pk=int(view_id))
    except (SavedView.DoesNotExist, ValueError, TypeError):
        raise Http404(_("No such view.")) from None


def saved_view_default_for(*, user: User) -> SavedView | None:
    """The user's default view, if they still read it (a view unshared since is not applied)."""
    return saved_views_visible_to(user=user).filter(defaults__user=user).first()


def user_share_groups(*, user: User) -> QuerySet[SupportGroup]:
    """The groups a user may share a view with: their own."""
    return SupportGroup.objects.filter(members=user).order_by("tier", "name")
