"""The one CSV writer of every export: text cells can never become spreadsheet formulas.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip
before reading a formula) is prefixed with a single quote, as OWASP recommends for CSV
injection: `=HYPERLINK(...)` in a ticket title comes out as the text `'=HYPERLINK(...)`. Numbers
we computed ourselves (a negative duration, say) stay numbers.

Times are written in the requesting user's time zone, with its offset (`2026-03-02T10:00:00+01:00`
for a manager in Madrid), as the pages and the API show them: they were written in UTC.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any, zone: tzinfo | None = None) -> Any:
    """One cell as written: numbers as they are, dates in ISO 8601 (an aware time in `zone`,
    the current time zone by default), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value, zone).isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields each row."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    header: Iterable[Any], rows: Iterable[Iterable[Any]], zone: tzinfo | None = None
) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(value, zone) for value in header])
    for row in rows:
        yield writer.writerow([csv_cell(value, zone) for value in row])


def csv_response(
    *,
    filename: str,
    header: Iterable[Any],
    rows: Iterable[Iterable[Any]],
    stream: bool = True,
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download, never cached (exports hold personal data). `stream` for exports that
    can be long (rows read in chunks while the response is sent); small ones are built whole."""
    content_type = "text/csv; charset=utf-8"
    # A translated header is read now, in the user's language: a streamed body is written
    # after the view returns, when another request may have activated another language.
    header = [str(value) if isinstance(value, Promise) else value for value in header]
    # The user's time zone likewise (the middleware deactivates it when the view returns).
    zone = timezone.get_current_timezone()
    lines = csv_lines(header, rows, zone)
    response: HttpResponse | StreamingHttpResponse
    if stream:
        response = StreamingHttpResponse(lines, content_type=content_type)
    else:
        response = HttpResponse("".join(lines), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def labelled_errors(form: forms.Form) -> list[str]:
    """A refused query's errors, each after its field's label ("Window: Select a valid
    choice…"), never the form's internal names; an error of no field as it is."""
    lines: list[str] = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None else None
        lines.extend(f"{label}: {message}" if label else str(message) for message in errors)
    return lines


def csv_query_error(form: forms.Form) -> HttpResponse:
    """The 400 of an export whose query its form refused: one line per error (labelled)."""
    lines = labelled_errors(form)
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
