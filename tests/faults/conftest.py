"""Fault tests share the SLA tests' guard: the default policy, even after a flush."""

from tests.sla.conftest import _default_policy  # noqa: F401
