"""The API's OpenAPI schema is pinned: a refactor of the views must not change it.

When an API change is intended, regenerate the snapshot and commit it with the change:
`python manage.py spectacular --file tests/tickets/openapi_snapshot.yaml`, with the tests'
DATABASE_URL (PostgreSQL): the integer bounds in the schema come from the database backend.
"""

import difflib
from io import StringIO
from pathlib import Path

from django.core.management import call_command

SNAPSHOT = Path(__file__).with_name("openapi_snapshot.yaml")


def test_openapi_schema_matches_the_committed_snapshot() -> None:
    out = StringIO()
    call_command("spectacular", stdout=out)
    diff = "".join(
        difflib.unified_diff(
            SNAPSHOT.read_text().splitlines(keepends=True),
            out.getvalue().splitlines(keepends=True),
            fromfile=str(SNAPSHOT.name),
            tofile="generated",
            n=2,
        )
    )
    assert not diff, f"The OpenAPI schema changed:\n{diff}"
