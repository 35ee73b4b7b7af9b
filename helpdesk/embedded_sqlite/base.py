"""The embedded database of `make run` (SQLite), answering bad numbers as PostgreSQL does.

Django's SQLite backend declares every integer column 64-bit, so a model form, the admin or a
model serializer accepted a position of 2**40 there that PostgreSQL's integer column refuses,
and a number past 2**63 (a 20-digit id) made the sqlite3 module raise OverflowError: a 500
where PostgreSQL answers DataError (a 400, helpdesk/middleware.py and helpdesk/api.py). Here
the integer ranges are PostgreSQL's (the validators the fields derive from them agree on both
backends) and such an OverflowError is the DataError PostgreSQL would raise.
"""

import sqlite3
from collections.abc import Iterable
from typing import Any

from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.sqlite3 import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def integer_field_range(self, internal_type: str) -> tuple[int, int]:
        # The base ranges are PostgreSQL's (smallint, integer, bigint).
        return BaseDatabaseOperations.integer_field_range(self, internal_type)


class CursorWrapper(base.SQLiteCursorWrapper):
    def execute(self, query: str, params: Any = None) -> Any:
        try:
            return super().execute(query, params)
        except OverflowError as exc:
            # The driver's DataError: Django turns it into django.db.DataError.
            raise sqlite3.DataError(str(exc)) from exc

    def executemany(self, query: str, param_list: Iterable[Any]) -> Any:
        try:
            return super().executemany(query, param_list)
        except OverflowError as exc:
            raise sqlite3.DataError(str(exc)) from exc


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name: str | None = None) -> Any:
        return self.connection.cursor(factory=CursorWrapper)
