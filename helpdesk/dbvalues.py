"""Values read by hand-written SQL, turned into what the ORM would have given."""

from collections.abc import Callable
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

Convert = Callable[[Any, BaseDatabaseWrapper], Any]


def from_db(field: Any, connection: BaseDatabaseWrapper) -> Convert:
    """The backend's and the field's converters for one column, as a queryset applies them:
    SQLite, for one, returns datetimes naive and booleans as 0/1, and a JSON column as text.
    Chosen once for the database's backend; called with the thread's own connection."""
    column = field.get_col(field.model._meta.db_table)
    converters = [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]

    def convert(value: Any, connection: BaseDatabaseWrapper) -> Any:
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert
