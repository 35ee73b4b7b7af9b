"""The one CSV writer of every export: text cells can never become spreadsheet formulas.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip
before reading a formula) is prefixed with a single quote, as OWASP recommends for CSV
injection: `=HYPERLINK(...)` in a ticket title comes out as the text `'=HYPERLINK(...)`. Numbers
we computed ourselves (a negative duration, say) stay numbers.
"""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """One cell as written: numbers as they are, dates in ISO 8601, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
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


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([csv_cell(value) for value in header])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


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
    response: HttpResponse | StreamingHttpResponse
    if stream:
        response = StreamingHttpResponse(csv_lines(header, rows), content_type=content_type)
    else:
        response = HttpResponse("".join(csv_lines(header, rows)), content_type=content_type)
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
