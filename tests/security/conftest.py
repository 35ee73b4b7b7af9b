"""Fixtures shared by the security tests: the monitoring integrations' (hostile input to their
endpoints) and the access test's world (the hostile corpus through every route)."""

from tests.integrations.conftest import (  # noqa: F401 (fixtures)
    alertmanager,
    events,
    make_integration,
    post_alerts,
    post_event,
)
from tests.security.test_access import world  # noqa: F401
