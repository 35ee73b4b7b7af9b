"""The monitoring integrations' fixtures, for the hostile-input tests of their endpoints."""

from tests.integrations.conftest import (  # noqa: F401 (fixtures)
    alertmanager,
    events,
    make_integration,
    post_alerts,
    post_event,
)
