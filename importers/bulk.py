"""Inserting many rows, with the history rows django-simple-history would write for them.

On PostgreSQL the rows go in through COPY, after their ids are taken from the
table's sequence in one statement: three statements per model, whatever the
number of rows, and no per-value work in the ORM (which is most of the time of
bulk_create for 10,000 tasks and 40,000 assignments). Elsewhere (SQLite, the
embedded default) simple_history's bulk_create_with_history does the same job.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from simple_history.utils import bulk_create_with_history


def create_with_history(model: type[Model], objects: list[Model], *, user=None, reason: str = "") -> list[Model]:
    """Save new instances (they get their ids) and their "+" history rows."""
    if not objects:
        return []
    if connection.vendor != "postgresql":
        return bulk_create_with_history(
            objects, model, batch_size=1000, default_user=user, default_change_reason=reason
        )
    fields = model._meta.concrete_fields
    rows = []
    for obj, pk in zip(objects, _next_ids(model, len(objects)), strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
        rows.append({f.attname: f.pre_save(obj, True) for f in fields})
    _copy_with_history(model, rows, user, reason)
    return objects


def insert_rows(model: type[Model], rows: list[dict], *, user=None, reason: str = "") -> None:
    """Like create_with_history, from plain dicts of column values (attnames): for tens of
    thousands of rows the model instances themselves are the cost worth skipping."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        create_with_history(model, [model(**row) for row in rows], user=user, reason=reason)
        return
    pk = model._meta.pk.attname
    for row, new_id in zip(rows, _next_ids(model, len(rows)), strict=True):
        row[pk] = new_id
    _copy_with_history(model, rows, user, reason)


def _next_ids(model: type[Model], count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy_with_history(model: type[Model], rows: list[dict], user, reason: str) -> None:
    fields = model._meta.concrete_fields
    defaults = {f.attname: f.get_default() for f in fields}
    _copy(
        model._meta.db_table,
        [f.column for f in fields],
        ([row.get(f.attname, defaults[f.attname]) for f in fields] for row in rows),
    )
    history = model.history.model
    stamped = {
        "history_date": timezone.now(),
        "history_change_reason": reason or None,
        "history_type": "+",
        "history_user_id": user.pk if user is not None else None,
    }
    history_fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    _copy(
        history._meta.db_table,
        [f.column for f in history_fields],
        (
            [
                stamped[f.attname] if f.attname in stamped else row.get(f.attname, defaults.get(f.attname))
                for f in history_fields
            ]
            for row in rows
        ),
    )


def _copy(table: str, columns: Sequence[str], rows: Iterable[list]) -> None:
    quote = connection.ops.quote_name
    statement = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
