"""Personas shared by every test, and helpers to bring a ticket to a given state."""

import importlib
from collections.abc import Callable, Iterator

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.test import Client, TransactionTestCase
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role, User
from accounts.services import api_token_issue
from escalation.models import Tier
from helpdesk.config_cache import config_cache_reset
from tests.factories import AgentFactory, CategoryFactory, OrganisationFactory, UserFactory
from tickets import services
from tickets.models import Category, ClosureCode, Level, Status, Ticket


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # No beat runs the SLA sweep in tests: /readyz checks the database, cache and broker only
    # (tests/ops put the sweep check back).
    settings.HELPDESK_READY_SWEEP_MAX_AGE_S = 0
    # After-commit hand-offs sent by the test's own thread as each transaction commits (the
    # gathering thread is tested in tests/helpdesk/test_gather.py).
    settings.HELPDESK_GATHER_SECONDS = 0
    # Throttles, rate limits and console counts live in the cache: each test starts afresh.
    cache.clear()
    config_cache_reset()  # and so does the configuration kept per process


# --- emptying the database after a transactional test ------------------------------------------

# Rows post_migrate writes (and Django's flush writes again after every transactional test).
_POST_MIGRATE_TABLES = (ContentType._meta.db_table, Permission._meta.db_table)
_post_migrate_rows: dict[str, tuple] = {}  # per database: a digest of those tables after a flush


def _post_migrate_digest(cursor) -> tuple:
    cursor.execute(
        " UNION ALL ".join(
            f"SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM {table} t"  # noqa: S608
            for table in _POST_MIGRATE_TABLES
        )
    )
    return tuple(row[0] for row in cursor.fetchall())


def _delete_rows(alias: str) -> bool:
    """Empty every table as Django's flush does, by DELETE of the tables that have rows, leaving
    the content types and permissions alone when they are still exactly what post_migrate wrote
    after the last flush. False (and nothing changed) when that cannot be done.

    Django's flush TRUNCATEs all ~150 tables (each gets new files) and then runs post_migrate to
    write back the content types and permissions: 1-6 s per transactional test on a loaded
    machine, for a test that wrote a few dozen rows."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or alias not in _post_migrate_rows:
        return False
    quote = connection.ops.quote_name
    tables = [
        table
        for table in connection.introspection.django_table_names(
            only_existing=True, include_views=False
        )
        if table not in _POST_MIGRATE_TABLES
    ]
    try:
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            if _post_migrate_digest(cursor) != _post_migrate_rows[alias]:
                return False
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s WHERE EXISTS (SELECT 1 FROM {quote(table)})"  # noqa: S608
                    for table in tables
                ),
                tables,
            )
            written = [row[0] for row in cursor.fetchall()]
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are deferrable
            for table in written:
                cursor.execute(f"DELETE FROM {quote(table)}")  # noqa: S608
    except DatabaseError:  # e.g. a constraint that cannot be deferred: rolled back, flush instead
        return False
    return True


def _fixture_teardown_deleting_rows(self: TransactionTestCase) -> None:
    """TransactionTestCase._fixture_teardown (what pytest-django runs after a test marked
    transaction=True or using live_server), leaving the same empty database faster."""
    if self.available_apps is not None or self.serialized_rollback or self.reset_sequences:
        return _django_fixture_teardown(self)
    for alias in self._databases_names(include_mirrors=False):
        if _delete_rows(alias):
            continue
        call_command("flush", verbosity=0, interactive=False, database=alias, reset_sequences=False)
        with connections[alias].cursor() as cursor:
            _post_migrate_rows[alias] = _post_migrate_digest(cursor)
    return None


_django_fixture_teardown = TransactionTestCase._fixture_teardown


@pytest.fixture(autouse=True, scope="session")
def _transactional_tests_delete_rows() -> Iterator[None]:
    TransactionTestCase._fixture_teardown = _fixture_teardown_deleting_rows  # type: ignore[method-assign]
    yield
    TransactionTestCase._fixture_teardown = _django_fixture_teardown  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _english_afterwards():
    """A request by a Spanish-speaking user leaves Spanish active in the thread (the user's
    language middleware activates it, as Django's LocaleMiddleware does): each test starts in
    the default language whatever ran before it on the same worker."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _data_from_migrations(request):
    """Rows the data migrations install (the default SLA policy, the default alert rules).

    A transactional test flushes every table when it ends, so a later test on the same worker
    would otherwise run without them and behave differently depending on test order.
    """
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")  # the database as the marker asks (transactional or not)
    from django.apps import apps

    importlib.import_module("sla.migrations.0002_default_policy").seed(apps, None)
    importlib.import_module("integrations.migrations.0002_default_rules").add_rules(apps, None)


@pytest.fixture
def organisation():
    return OrganisationFactory()


@pytest.fixture
def requester(organisation) -> User:
    return UserFactory(username="requester", organisation=organisation)


@pytest.fixture
def other_requester(organisation) -> User:
    return UserFactory(username="other_requester", organisation=organisation)


@pytest.fixture
def agent_l1() -> User:
    return AgentFactory(username="agent_l1", tier=Tier.L1)


@pytest.fixture
def agent_l2() -> User:
    return AgentFactory(username="agent_l2", tier=Tier.L2)


@pytest.fixture
def agent_l3() -> User:
    return AgentFactory(username="agent_l3", tier=Tier.L3)


@pytest.fixture
def manager() -> User:
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def manager_admin_client(client, manager):
    """The Django admin signed in as a manager made superuser (the route to SLA and OLA
    configuration the admin tests take)."""
    manager.is_staff = manager.is_superuser = True
    manager.save()
    client.force_login(manager)
    return client


@pytest.fixture
def security_officer() -> User:
    return UserFactory(username="security_officer", role=Role.SECURITY_OFFICER)


@pytest.fixture
def outsider() -> User:
    """A requester of another organisation."""
    return UserFactory(username="outsider", organisation=OrganisationFactory())


@pytest.fixture
def category() -> Category:
    return CategoryFactory(name="Email", name_es="Correo")


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    def client_for(user: User | None) -> APIClient:
        # Real token authentication, so each request loads its user as production does. The
        # token is one in use (its first use recorded), as an integration's is: the statement
        # budgets pinned with this client are a request's in steady state. The one UPDATE of a
        # token's very first use is pinned in tests/accounts/test_tokens.py.
        client = APIClient()
        if user is not None:
            token, key = api_token_issue(user=user)
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=token.created_at)
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return client_for


@pytest.fixture
def make_ticket(requester, agent_l1, agent_l2, category) -> Callable[..., Ticket]:
    """A ticket created by the requester and driven through the services to `status`."""

    def make(status: str = Status.NEW, **create_kwargs: object) -> Ticket:
        ticket = services.ticket_create(
            requester=create_kwargs.pop("requester", requester),  # type: ignore[arg-type]
            title=create_kwargs.pop("title", "VPN is down"),  # type: ignore[arg-type]
            description="I cannot connect since this morning.",
            urgency=Level.MEDIUM,
            **create_kwargs,  # type: ignore[arg-type]
        )
        path = {
            Status.NEW: [],
            Status.LOGGED: ["identify"],
            Status.CATEGORIZED: ["identify", "categorize"],
            Status.PRIORITIZED: ["triage"],
            Status.IN_DIAGNOSIS: ["triage", "take"],
            Status.ON_HOLD: ["triage", "take", "hold"],
            Status.ESCALATED: ["triage", "take", "escalate"],
            Status.RESOLVED: ["triage", "take", "resolve"],
            Status.CLOSED: ["triage", "take", "resolve", "close"],
        }[Status(status)]
        steps = {
            "identify": lambda t: services.ticket_identify(
                ticket=t, actor=agent_l1, kind="incident"
            ),
            "categorize": lambda t: services.ticket_categorize(
                ticket=t, actor=agent_l1, category=category
            ),
            "triage": lambda t: services.ticket_triage(
                ticket=t,
                actor=agent_l1,
                kind="incident",
                category=category,
                impact=Level.MEDIUM,
                urgency=Level.MEDIUM,
            ),
            "take": lambda t: services.ticket_take(ticket=t, actor=agent_l1),
            "hold": lambda t: services.ticket_hold(ticket=t, actor=agent_l1, reason="Need logs"),
            "escalate": lambda t: services.ticket_escalate(
                ticket=t, actor=agent_l1, reason="Needs a network engineer"
            ),
            "resolve": lambda t: services.ticket_resolve(
                ticket=t,
                actor=agent_l1,
                summary="Restarted the VPN gateway.",
                code=ClosureCode.FIXED,
            ),
            "close": lambda t: services.ticket_close(ticket=t, actor=requester),
        }
        for step in path:
            ticket = steps[step](ticket)
        ticket.refresh_from_db()
        return ticket

    return make


@pytest.fixture
def client_for() -> Callable[[User | None], Client]:
    """A page client signed in as the user (None: anonymous)."""

    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
