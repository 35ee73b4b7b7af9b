from typing import Any

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from savedviews.counts import saved_view_counts
from savedviews.forms import SavedViewForm
from savedviews.models import SavedView
from savedviews.selectors import saved_views_visible_to, user_share_groups

register = template.Library()


@register.inclusion_tag("savedviews/_console_views.html", takes_context=True)
def saved_views_panel(context: template.Context) -> dict[str, Any]:
    """The console's saved views under its filter bar: mine and my groups', each with its live
    count, the current one marked, and the "Save view" form holding the current filters.

    Queries: the views (with my default), my groups (the share picker), and at most one count
    statement for the counts not cached (+ one for subcategories): the same with 1 or 50 views.
    """
    request = context["request"]
    user = request.user
    current = context["params"].query(cursor="")
    views = list(saved_views_visible_to(user=user))
    counts = saved_view_counts(user=user, views=views)
    groups = list(user_share_groups(user=user))
    return {
        "request": request,
        "user": user,
        "views": _rows(views, counts=counts, user=user),
        "active": next((view.pk for view in views if view.query == current), None),
        "current_query": current,
        "groups": groups,
        "next": request.get_full_path(),
        "visibility_choices": SavedViewForm.base_fields["visibility"].choices,  # type: ignore[attr-defined]
    }


def _rows(views: list[SavedView], *, counts: dict[int, str], user: User) -> list[dict[str, Any]]:
    """Each view's words and addresses resolved once here: the panel renders plain values, so
    50 views cost little more to render than 5 (no url or translation tag per view)."""
    console = reverse("console")
    base = reverse("saved_view_create")  # /console/views/
    return [
        {
            "pk": view.pk,
            "name": view.name,
            "href": f"{console}?{view.query}",
            "query": view.query,
            "count": counts[view.pk],
            "number": number if number < 10 else None,  # keys 1–9
            "is_default": view.is_default,  # type: ignore[attr-defined]
            "mine": view.owner_id == user.pk,
            "visibility": view.visibility,
            "group_id": view.group_id,
            "shared_title": _("Shared with %(group)s") % {"group": view.group.name}
            if view.group is not None
            else "",
            "by": ""
            if view.owner_id == user.pk
            else _("by %(owner)s") % {"owner": view.owner.name},
            "manage_label": _("Manage the view “%(name)s”") % {"name": view.name},
            "update_url": f"{base}{view.pk}/",
            "delete_url": f"{base}{view.pk}/delete/",
            "default_url": f"{base}{view.pk}/default/",
        }
        for number, view in enumerate(views, start=1)
    ]
