from typing import Any

from django import template

from savedviews.counts import saved_view_counts
from savedviews.forms import SavedViewForm
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
    for number, view in enumerate(views, start=1):
        view.count = counts[view.pk]  # type: ignore[attr-defined]
        view.number = number if number < 10 else None  # type: ignore[attr-defined]  # keys 1–9
    groups = list(user_share_groups(user=user))
    return {
        "request": request,
        "user": user,
        "views": views,
        "active": next((view.pk for view in views if view.query == current), None),
        "current_query": current,
        "groups": groups,
        "next": request.get_full_path(),
        "form": SavedViewForm(user=user),
        "visibility_choices": SavedViewForm.base_fields["visibility"].choices,  # type: ignore[attr-defined]
    }
