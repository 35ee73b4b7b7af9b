"""New rows written by an INSERT whose SQL is built once per model and row shape.

On a ticket create Django's insert compiler rebuilt the same statements for the ticket, its
event and its clocks every time: about a fifth of the request's Python
(bench/create_profile.py). `insert_rows` keeps what `Model.save()` does for a new row — the
related-object checks, the `pre_save`/`post_save` signals, each field's `pre_save` (so
`auto_now_add` works), a `db_default` column left to the database and read back with the
primary key — and only skips the compiling.
"""

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, models, router
from django.db.models.expressions import DatabaseDefault
from django.db.models.signals import post_save, pre_save
from django.db.models.sql import InsertQuery

from helpdesk.dbvalues import Convert, from_db
from helpdesk.prepared import prepared_cursor

M = TypeVar("M", bound=models.Model)


@cache
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    """What an insert writes (as Model.save): the concrete fields, less an automatic key."""
    meta = model._meta
    return tuple(
        f for f in meta.local_concrete_fields if not f.generated and f is not meta.auto_field
    )


# Fields whose preparation for the database is the identity for a value of exactly this type
# (and for None): such a value is written as it is, without the field's four or five calls.
_WRITTEN_AS_IS: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.BigIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
}


@cache
def _as_is(model: type[models.Model]) -> tuple[type | None, ...]:
    """Per field of `_fields`, the type of value it writes as it is (a foreign key: its target's
    type), or None."""
    fields: tuple[Any, ...] = _fields(model)  # (the stubs lack a foreign key's target_field)
    return tuple(_WRITTEN_AS_IS.get(type(f.target_field if f.many_to_one else f)) for f in fields)


@cache
def _sql(model: type[models.Model], using: str, defaults: tuple[tuple[int, ...], ...]) -> str:
    """The statement for rows whose `defaults` fields (by position) take their db_default."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = _fields(model)
    compiler = InsertQuery(model).get_compiler(using=using)

    def placeholder(i: int, at_default: tuple[int, ...]) -> str:
        if i not in at_default:
            return "%s"
        field: Any = fields[i]  # (the stubs lack the expression Django compiles here)
        sql, params = compiler.compile(
            DatabaseDefault(field._db_default_expression, output_field=field)
        )
        assert not params  # noqa: S101 (a db_default with parameters would need them passed)
        return sql

    rows = ", ".join(
        f"({', '.join(placeholder(i, at_default) for i in range(len(fields)))})"
        for at_default in defaults
    )
    returning = ", ".join(quote(f.column) for f, _ in _returned(model, using))
    return (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608 (model names)
        f"VALUES {rows} RETURNING {returning}"
    )


@cache
def _returned(model: type[models.Model], using: str) -> tuple[tuple[Any, Convert], ...]:
    """What the insert reads back (the key, db_default columns), each with its conversion."""
    meta = model._meta
    fields: tuple[Any, ...] = (meta.pk, *meta.db_returning_fields)
    return tuple((f, from_db(f, connections[using])) for f in fields)


def insert_rows(objs: Sequence[M]) -> Sequence[M]:
    """INSERT these new rows of one model in one statement, as save() would insert each."""
    if not objs:
        return objs
    model = type(objs[0])
    using = router.db_for_write(model)
    connection = connections[using]
    fields = _fields(model)
    as_is = _as_is(model)
    values: list[Any] = []
    defaults = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
        pre_save.send(sender=model, instance=obj, raw=False, using=using, update_fields=None)
        at_default = []
        for i, field in enumerate(fields):
            plain = as_is[i]
            if plain is not None:  # (their pre_save is the attribute itself)
                value = getattr(obj, field.attname)
                if value is None or type(value) is plain:
                    values.append(value)
                    continue
            value = field.pre_save(obj, add=True)
            if isinstance(value, DatabaseDefault):
                at_default.append(i)
            else:
                values.append(field.get_db_prep_save(value, connection))
        defaults.append(tuple(at_default))
    with prepared_cursor(using, rows=len(objs)) as cursor:
        cursor.execute(_sql(model, using, tuple(defaults)), values)
        rows = cursor.fetchall()
    returned = _returned(model, using)
    for obj, row in zip(objs, rows, strict=True):
        for (field, convert), value in zip(returned, row, strict=True):
            setattr(obj, field.attname, convert(value, connection))
        obj._state.adding = False
        obj._state.db = using
        post_save.send(
            sender=model, instance=obj, created=True, update_fields=None, raw=False, using=using
        )
    return objs
