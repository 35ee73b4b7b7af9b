"""The saved views in the console: the panel, its forms (PRG, 400 on errors), the default view,
live counts and what the page costs with many views."""

import re

import pytest
from django.core.cache import cache

from savedviews import services
from savedviews.models import DefaultView, SavedView
from tests.factories import CategoryFactory, TicketFactory
from tickets.models import Status

pytestmark = pytest.mark.django_db


def badges(response) -> dict[str, str]:
    html = response.content.decode()
    return dict(re.findall(r'id="view-count-(\d+)"[^>]*>([^<]*)<', html))


def test_the_panel_lists_mine_and_my_groups_views_with_counts(
    client_for, agent_l1, teammate, agent_l2, make_ticket
):
    make_ticket(Status.PRIORITIZED)
    mine = services.saved_view_create(owner=agent_l1, name="All open", query="")
    team = services.saved_view_create(
        owner=teammate, name="Nothing", query="priority=1", visibility="group"
    )
    services.saved_view_create(owner=teammate, name="Teammate private", query="")
    services.saved_view_create(owner=agent_l2, name="L2 team", query="", visibility="group")

    response = client_for(agent_l1).get("/console/?queue=l1")

    html = response.content.decode()
    assert 'data-testid="saved-views"' in html
    assert badges(response) == {str(mine.pk): "1", str(team.pk): "0"}
    assert "Teammate private" not in html and "L2 team" not in html
    # The page's own filters are a saved view's: it is marked current.
    assert re.search(
        rf'href="/console/\?{re.escape(mine.query).replace("&", "&amp;")}"[^>]*aria-current', html
    )
    # Only the owner gets the rename and delete forms.
    assert f"/console/views/{mine.pk}/delete/" in html
    assert f"/console/views/{team.pk}/delete/" not in html
    assert f"/console/views/{team.pk}/default/" in html


def test_save_view_from_the_current_filters(client_for, agent_l1):
    client = client_for(agent_l1)

    response = client.post(
        "/console/views/",
        {
            "name": "Breached P1",
            "query": "priority=1&sla=breached&cursor=9",
            "visibility": "private",
        },
    )

    view = SavedView.objects.get()
    assert view.query == "queue=l1&status=open&priority=1&sla=breached&sort=newest"
    assert response.status_code == 302 and response["Location"] == f"/console/?{view.query}"
    followed = client.get(response["Location"])
    assert "View “Breached P1” saved." in followed.content.decode()


@pytest.mark.parametrize(
    "data, error",
    [
        # An unknown filter in the address is dropped as the console drops it (the view lists
        # what the agent saw): test_a_view_saved_from_an_address_lists_what_the_console_listed.
        ({"name": "", "query": "", "visibility": "private"}, "This field is required."),
        ({"name": "   ", "query": "", "visibility": "private"}, "This field is required."),
        (
            {"name": "n" * 500, "query": "", "visibility": "private"},
            "Ensure this value has at most 80 characters (it has 500).",
        ),
        ({"name": "x", "query": "", "visibility": "world"}, "Select a valid choice."),
    ],
)
def test_a_bad_save_is_a_400_form_with_the_error(client_for, agent_l1, data, error):
    response = client_for(agent_l1).post("/console/views/", {**data, "next": "/console/?queue=l1"})

    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert 'href="/console/?queue=l1"' in html  # the way back keeps the filters
    assert not SavedView.objects.exists()


def test_a_duplicate_name_is_a_form_error(client_for, agent_l1):
    services.saved_view_create(owner=agent_l1, name="Mine", query="")
    response = client_for(agent_l1).post(
        "/console/views/", {"name": "mine", "query": "", "visibility": "private"}
    )
    assert response.status_code == 400
    assert "You already have a view with this name." in response.content.decode()


def test_a_second_click_on_save_is_the_first_save_not_a_duplicate_name_error(client_for, agent_l1):
    """The second of two quick clicks came back as a 400 "You already have a view with this
    name." although the view was saved."""
    client = client_for(agent_l1)
    console = client.get("/console/").content.decode()
    assert re.search(
        r'data-save-view-form>\s*<input type="hidden" name="csrfmiddlewaretoken"[^>]*>'
        r'<input type="hidden" name="idempotency_key"',
        console,
    )
    form = {"name": "Mine", "query": "priority=1", "visibility": "private"}
    form["idempotency_key"] = "save-view-3b9f"

    first = client.post("/console/views/", form)
    second = client.post("/console/views/", form)

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert SavedView.objects.count() == 1


def test_rename_share_delete_and_back_where_the_agent_was(client_for, agent_l1, l1_group):
    view = services.saved_view_create(owner=agent_l1, name="Old", query="")
    client = client_for(agent_l1)

    response = client.post(
        f"/console/views/{view.pk}/",
        {"name": "New", "visibility": "group", "next": "/console/?queue=l1&priority=2"},
    )
    assert response["Location"] == "/console/?queue=l1&priority=2"
    view.refresh_from_db()
    assert (view.name, view.group) == ("New", l1_group)
    bad = client.post(f"/console/views/{view.pk}/", {"name": "", "visibility": "group"})
    assert bad.status_code == 400

    # An address elsewhere is never followed.
    response = client.post(f"/console/views/{view.pk}/delete/", {"next": "https://evil.example/"})
    assert response["Location"] == "/console/"
    assert not SavedView.objects.exists()


def test_a_teammate_may_not_change_a_shared_view(client_for, agent_l1, teammate, agent_l2):
    view = services.saved_view_create(owner=agent_l1, name="Team", query="", visibility="group")
    teammate_client = client_for(teammate)
    update = teammate_client.post(
        f"/console/views/{view.pk}/", {"name": "x", "visibility": "private"}
    )
    assert update.status_code == 403
    assert teammate_client.post(f"/console/views/{view.pk}/delete/").status_code == 403
    assert client_for(agent_l2).post(f"/console/views/{view.pk}/delete/").status_code == 404
    assert SavedView.objects.get().name == "Team"


def test_requesters_have_no_saved_views(client_for, requester):
    client = client_for(requester)
    assert client.post("/console/views/", {"name": "x", "query": ""}).status_code == 403
    assert client.get("/console/views/counts/").status_code == 403


def test_the_bare_console_opens_my_default_view(client_for, agent_l1, teammate):
    team = services.saved_view_create(
        owner=agent_l1, name="Team", query="priority=2&sort=oldest", visibility="group"
    )
    client = client_for(teammate)
    assert client.get("/console/").status_code == 200  # no default yet: the plain console

    made = client.post(
        f"/console/views/{team.pk}/default/", {"on": "1", "next": "/console/?queue=l1"}
    )
    assert made["Location"] == "/console/?queue=l1"
    assert DefaultView.objects.get(user=teammate).view == team

    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == "/console/?queue=l1&status=open&priority=2&sort=oldest"
    opened = client.get(response["Location"])
    assert 'data-testid="default-badge"' in opened.content.decode()
    # Any parameter (a tab, a filter) is what the agent asked for: no redirect.
    assert client.get("/console/?queue=l1").status_code == 200

    client.post(f"/console/views/{team.pk}/default/", {"on": "0"})
    assert client.get("/console/").status_code == 200


@pytest.mark.parametrize("query", ["", "&"])
def test_a_default_view_holding_no_parameter_opens_the_console_not_a_redirect_loop(
    client_for, agent_l1, query
):
    """The services never store one; a view edited in the admin could: /console/ redirected to
    /console/? for ever (the browser's "too many redirects")."""
    view = SavedView.objects.create(owner=agent_l1, name="Emptied", query=query)
    DefaultView.objects.create(user=agent_l1, view=view)

    assert client_for(agent_l1).get("/console/").status_code == 200


def test_counts_are_live_and_polled(client_for, agent_l1, make_ticket):
    view = services.saved_view_create(owner=agent_l1, name="Open", query="")
    client = client_for(agent_l1)
    assert badges(client.get("/console/views/counts/")) == {str(view.pk): "0"}

    make_ticket(Status.PRIORITIZED)
    cache.clear()  # what the few seconds of caching give

    polled = client.get("/console/views/counts/")
    assert badges(polled) == {str(view.pk): "1"}
    assert 'hx-swap-oob="true"' in polled.content.decode()


def test_a_category_view_counts_its_subcategories(client_for, agent_l1, requester):
    top = CategoryFactory()
    sub = CategoryFactory(parent=top)
    TicketFactory(requester=requester, category=sub)
    TicketFactory(requester=requester, category=top)
    TicketFactory(requester=requester)
    view = services.saved_view_create(owner=agent_l1, name="Top", query=f"category={top.pk}")
    assert badges(client_for(agent_l1).get("/console/views/counts/")) == {str(view.pk): "2"}


@pytest.mark.parametrize("views", [1, 50])
def test_console_cost_does_not_grow_with_the_views(
    views, client_for, agent_l1, requester, django_assert_num_queries
):
    TicketFactory.create_batch(3, requester=requester)
    categories = [CategoryFactory(), CategoryFactory()]
    for n in range(views):
        category = categories[n % 2].pk if n % 3 == 0 else ""
        services.saved_view_create(
            owner=agent_l1, name=f"View {n}", query=f"priority={n % 5 + 1}&category={category}"
        )
    client = client_for(agent_l1)
    client.get("/console/?queue=l1")
    cache.clear()

    # The console's 16 (tests/tickets/test_views_console.py), then 17 the subcategories of the
    # views' categories and 18 one statement counting every view.
    with django_assert_num_queries(18):
        client.get("/console/?queue=l1")
    # Counts cached: the console's own 9 (its tab counts and its rows, with their SLA clocks,
    # shared from the render above).
    with django_assert_num_queries(9):
        client.get("/console/?queue=l1")


def test_spanish_labels(client_for, agent_l1):
    agent_l1.language = "es"
    agent_l1.save(update_fields=["language"])
    services.saved_view_create(owner=agent_l1, name="Mía", query="")
    html = client_for(agent_l1).get("/console/?queue=l1").content.decode()
    for label in ("Vistas guardadas", "Guardar vista", "Abrirla por defecto", "Gestionar"):
        assert label in html


def test_a_view_name_with_a_bidi_override_stays_inside_its_own_box(client_for, agent_l1):
    """A name holding an unclosed right-to-left override (U+202E) reversed its count badge and
    the rest of the link with it: the name is isolated (<bdi>), the badge after it is not."""
    view = services.saved_view_create(owner=agent_l1, name="a\u202eb", query="")

    html = client_for(agent_l1).get("/console/?queue=l1").content.decode()

    assert f'<bdi>a\u202eb</bdi><span class="count" id="view-count-{view.pk}">' in html


def test_a_view_deleted_in_another_tab_sends_the_stale_tab_back_with_a_word(client_for, agent_l1):
    """Renamed, deleted again or made default from a console loaded before the view was
    deleted (another tab, a double click on Delete): a 404 that says what happened and leads
    back to the console, not the site's "We can't find that page … the ticket is not yours"."""
    view = services.saved_view_create(owner=agent_l1, name="Gone soon", query="")
    client = client_for(agent_l1)
    back = "/console/?queue=l1&priority=2"
    assert client.post(f"/console/views/{view.pk}/delete/", {"next": back}).status_code == 302

    for url, data in (
        (f"/console/views/{view.pk}/", {"name": "Renamed", "visibility": "private"}),
        (f"/console/views/{view.pk}/delete/", {}),
        (f"/console/views/{view.pk}/default/", {"on": "1"}),
    ):
        response = client.post(url, {**data, "next": back})

        assert response.status_code == 404
        html = response.content.decode()
        assert "This view no longer exists" in html and "the ticket is not yours" not in html
        assert 'href="/console/?queue=l1&amp;priority=2"' in html
    assert not SavedView.objects.exists()


def _rows(html: str) -> list[str]:
    return re.findall(r'data-ticket="(\d+)"', html)


def _arabic_indic(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@pytest.mark.parametrize(
    "address",
    [
        "status=open&status=new",  # a filter repeated: the console applies its last value
        "priority=3&priority=2",
        "priority=P1&priority=P2",  # not the bar's values: the console lists every priority
        "queue=l1&status=bogus&sort=--x",  # values the console drops
        "kind=incident&page=0&colour=red",  # parameters it does not know
        "category={arabic_category}",  # an id in other digits: the console drops it
        "q={long_search}",  # the console searches its first 200 characters
    ],
)
def test_a_view_saved_from_an_address_lists_what_the_console_listed(
    client_for, agent_l1, make_ticket, category, address
):
    """The "Save view" form sends the address bar. A value the console drops was refused
    ("Filter status: Select a valid choice", the agent could not save the list in front of
    them), and `category=٣` was saved as category 3 while the console had listed every
    category: the view showed another list."""
    make_ticket(Status.NEW, title="x" * 200)
    make_ticket(Status.PRIORITIZED, category=category)
    make_ticket(Status.IN_DIAGNOSIS, title="x" * 199)
    address = address.format(arabic_category=_arabic_indic(category.pk), long_search="x" * 300)
    client = client_for(agent_l1)
    seen = _rows(client.get(f"/console/?{address}").content.decode())

    response = client.post(
        "/console/views/", {"name": "What I see", "query": address, "visibility": "private"}
    )

    assert response.status_code == 302
    view = SavedView.objects.get()
    assert response["Location"] == f"/console/?{view.query}"
    assert _rows(client.get(response["Location"]).content.decode()) == seen
    assert badges(client.get("/console/views/counts/")) == {str(view.pk): str(len(seen))}


def test_a_filter_the_console_keeps_but_cannot_save_is_a_400_that_keeps_the_name(
    client_for, agent_l1
):
    """An agent id that is no agent: the console lists nothing for it; the view is refused
    with a form error, the name typed kept."""
    response = client_for(agent_l1).post(
        "/console/views/",
        {"name": "Nobody's", "query": "assignee=987654", "visibility": "private"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Filter “Assignee”: Select a valid choice." in html
    assert 'value="Nobody&#x27;s"' in html
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/console/views/",
        "/console/views/{pk}/",
        "/console/views/{pk}/delete/",
        "/console/views/{pk}/default/",
    ],
)
def test_a_get_of_a_form_address_goes_to_the_console(client_for, agent_l1, path):
    """A refused form is shown at its address: switching the language there (the switcher
    comes back with a GET) or Enter in the address bar gave a bare 405 page."""
    view = services.saved_view_create(owner=agent_l1, name="Mine", query="")
    client = client_for(agent_l1)

    response = client.get(path.format(pk=view.pk))

    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.put(path.format(pk=view.pk)).status_code == 405
    assert SavedView.objects.get() == view


def test_saving_signed_out_goes_to_sign_in_then_back_to_the_console(client_for):
    response = client_for(None).post(
        "/console/views/", {"name": "x", "query": "", "next": "/console/?queue=l1&priority=1"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/console/%3Fqueue%3Dl1%26priority%3D1"
    assert not SavedView.objects.exists()


def test_a_refused_rename_names_the_view_being_changed(client_for, agent_l1):
    """The form shown with "You already have a view with this name." was headed with the name
    refused: "Change the view “Team”" while the agent was renaming "Mine"."""
    services.saved_view_create(owner=agent_l1, name="Team", query="")
    mine = services.saved_view_create(owner=agent_l1, name="Mine", query="priority=1")

    response = client_for(agent_l1).post(
        f"/console/views/{mine.pk}/", {"name": "team", "visibility": "private"}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "Change the view “Mine”" in html and "Change the view “team”" not in html
    assert 'value="team"' in html  # what was typed is kept in the field
    mine.refresh_from_db()
    assert mine.name == "Mine"


def test_back_from_a_refused_save_keeps_the_filters(client_for, agent_l1):
    """ "Back to the console" on a refused save went to the bare console: the filters the
    agent was saving were lost."""
    services.saved_view_create(owner=agent_l1, name="Mine", query="")

    response = client_for(agent_l1).post(
        "/console/views/",
        {"name": "mine", "query": "priority=1&sort=oldest", "visibility": "private"},
    )

    assert response.status_code == 400
    back = "/console/?queue=l1&amp;status=open&amp;priority=1&amp;sort=oldest"
    assert f'class="btn" href="{back}"' in response.content.decode()


@pytest.mark.parametrize("name", ["\u200b", "\ufeff\u200e \u2066"])
def test_a_name_of_invisible_characters_is_refused_as_an_empty_one(client_for, agent_l1, name):
    """Zero-width spaces or direction marks alone made a view listed as a bare count."""
    response = client_for(agent_l1).post(
        "/console/views/", {"name": name, "query": "", "visibility": "private"}
    )

    assert response.status_code == 400
    assert "Give the view a name." in response.content.decode()
    assert not SavedView.objects.exists()
