"""Numbers no integer column holds (a 20-digit id, a position of 2**40) are refused or match
nothing alike on PostgreSQL and on the embedded SQLite of `make run`: a 400 or a form error,
never a 500 (SQLite's driver raised OverflowError) nor a value saved on one backend only."""

import pytest
from django.db import DataError
from django.db.utils import ConnectionHandler

from accounts.models import User
from escalation.models import SupportGroup, Tier

pytestmark = pytest.mark.django_db

HUGE = 99999999999999999999  # 20 digits: past 2**63


@pytest.fixture
def embedded_sqlite():
    # A connection of its own (the suite's database is PostgreSQL).
    handler = ConnectionHandler(
        {"default": {"ENGINE": "helpdesk.embedded_sqlite", "NAME": ":memory:"}}
    )
    connection = handler["default"]
    yield connection
    connection.close()


def test_the_embedded_sqlite_bounds_integer_columns_as_postgresql(embedded_sqlite):
    ranges = embedded_sqlite.ops.integer_field_range
    assert ranges("PositiveIntegerField") == (0, 2**31 - 1)
    assert ranges("PositiveSmallIntegerField") == (0, 2**15 - 1)
    assert ranges("BigAutoField") == (-(2**63), 2**63 - 1)


def test_a_number_past_64_bits_is_a_data_error_on_the_embedded_sqlite(embedded_sqlite):
    """As PostgreSQL's 'out of range' (a 400 in the middleware and the API), not OverflowError."""
    with embedded_sqlite.cursor() as cursor:
        cursor.execute("CREATE TABLE numbers (n integer)")
        with pytest.raises(DataError):
            cursor.execute("SELECT %s", [HUGE])
        with pytest.raises(DataError):
            cursor.executemany("INSERT INTO numbers (n) VALUES (%s)", [[1], [HUGE]])


def test_in_with_a_number_no_column_holds_matches_nothing(agent_l2):
    assert not User.objects.filter(pk__in=[HUGE]).exists()
    assert list(User.objects.filter(pk__in=[HUGE, agent_l2.pk])) == [agent_l2]
    group = SupportGroup.objects.create(name="Network", tier=Tier.L2)
    groups = SupportGroup.objects.filter(pk=group.pk)
    assert not groups.filter(tier__in=[2**40]).exists()
    assert groups.filter(tier__in=[2**40, Tier.L2]).get() == group
