"""Writes of saved views. Only the owner changes or deletes a view; anyone who reads a view
(the owner, a member of the group it is shared with) may make it their default."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts.models import User
from escalation.models import SupportGroup
from helpdesk.errors import DomainError
from helpdesk.text import shows_something
from savedviews.filters import console_query_clean
from savedviews.models import DefaultView, SavedView, Visibility
from savedviews.selectors import saved_views_visible_to, user_share_groups

MAX_VIEWS_PER_OWNER = 50  # the console lists them all with counts: keep the list short


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not shows_something(name):  # empty, or only zero-width or direction marks
        raise DomainError(_("Give the view a name."), field="name")
    if len(name) > SavedView._meta.get_field("name").max_length:  # type: ignore[operator]
        raise DomainError(_("The name is too long (80 characters at most)."), field="name")
    return name


def _share_group(
    *, owner: User, visibility: str, group: SupportGroup | None
) -> SupportGroup | None:
    """The group a view is shared with: none when private; one of the owner's groups (their
    only one when not named) when shared."""
    if visibility == Visibility.PRIVATE:
        return None
    if visibility != Visibility.GROUP:
        raise DomainError(
            _("Choose who sees the view: only you or your group."), field="visibility"
        )
    groups = list(user_share_groups(user=owner))
    if group is None and len(groups) == 1:
        return groups[0]
    if group is None:
        raise DomainError(_("Choose the group to share the view with."), field="group")
    if group.pk not in {g.pk for g in groups}:
        raise DomainError(_("You can only share a view with a group you belong to."), field="group")
    return group


def _check_name_free(*, owner: User, name: str, exclude: int | None = None) -> None:
    taken = SavedView.objects.annotate(lower=Lower("name")).filter(owner=owner, lower=name.lower())
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise DomainError(_("You already have a view with this name."), field="name")


def _save(view: SavedView) -> SavedView:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:  # the same name saved at the same moment (two tabs)
        raise DomainError(_("You already have a view with this name."), field="name") from None
    return view


def saved_view_create(
    *,
    owner: User,
    name: str,
    query: str,
    visibility: str = Visibility.PRIVATE,
    group: SupportGroup | None = None,
    make_default: bool = False,
) -> SavedView:
    if not (owner.is_authenticated and owner.is_staff_member):
        raise PermissionDenied(_("Only support staff save views."))
    name = _clean_name(name)
    canonical = console_query_clean(user=owner, query=query)
    share = _share_group(owner=owner, visibility=visibility, group=group)
    if SavedView.objects.filter(owner=owner).count() >= MAX_VIEWS_PER_OWNER:
        raise DomainError(
            _("You have %(count)d views already: delete one first.")
            % {"count": MAX_VIEWS_PER_OWNER}
        )
    _check_name_free(owner=owner, name=name)
    with transaction.atomic():
        view = _save(SavedView(owner=owner, name=name, query=canonical, group=share))
        if make_default:
            saved_view_set_default(user=owner, view=view)
    return view


def saved_view_check_owner(*, view: SavedView, actor: User) -> None:
    if view.owner_id != actor.pk:
        raise PermissionDenied(_("Only the agent who saved this view can change it."))


def saved_view_update(
    *,
    view: SavedView,
    actor: User,
    name: str | None = None,
    query: str | None = None,
    visibility: str | None = None,
    group: SupportGroup | None = None,
) -> SavedView:
    """Rename, replace the filters or change who sees it; what is None stays as it is.

    Everything is checked before the view is changed: a refused rename left the new name on
    the object, and the form shown with the error was headed with it ("Change the view
    “Team”" for the view named "Mine")."""
    saved_view_check_owner(view=view, actor=actor)
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean_name(name)
        _check_name_free(owner=actor, name=changes["name"], exclude=view.pk)
    if query is not None:
        changes["query"] = console_query_clean(user=actor, query=query)
    if visibility is not None:
        changes["group"] = _share_group(owner=actor, visibility=visibility, group=group)
    before = {field: getattr(view, field) for field in changes}
    for field, value in changes.items():
        setattr(view, field, value)
    try:
        return _save(view)
    except DomainError:  # the same name saved at the same moment: the view as it was
        for field, value in before.items():
            setattr(view, field, value)
        raise


def saved_view_delete(*, view: SavedView, actor: User) -> None:
    saved_view_check_owner(view=view, actor=actor)
    view.delete()  # anyone's default on it goes with it (CASCADE): their bare console opens plain


def saved_view_set_default(*, user: User, view: SavedView | None) -> None:
    """Make `view` the one the bare console opens for `user`, or none (`view=None`)."""
    if view is None:
        DefaultView.objects.filter(user=user).delete()
        return
    if not saved_views_visible_to(user=user).filter(pk=view.pk).exists():
        raise DomainError(_("You cannot use this view."))
    DefaultView.objects.update_or_create(user=user, defaults={"view": view})
