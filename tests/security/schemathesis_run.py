"""Schemathesis against the in-process WSGI app, as personas with real API tokens.

Shared by tests/security/test_schemathesis.py (a small, derandomized budget) and
bench/schemathesis.py (a longer run). The caller provides the database (a test transaction, or a
transaction the bench rolls back): requests run in this thread, on this connection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import hypothesis
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, strategies
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Operations left out, each with its reason (keep this list short and explained).
EXCLUDED: dict[str, str] = {
    # Obtaining a token is throttled at 10/min per address and locks the account out after
    # 5 failures (django-axes): fuzzing it only measures the lockout. Covered in test_hardening.
    "POST /api/auth/token/": "throttled and locked out by design",
    # Revoking tokens would revoke the persona's own (ids are small): every later call a 401.
    # Covered in tests/accounts/test_tokens.py.
    "DELETE /api/auth/token/": "revokes the persona's token",
    "DELETE /api/auth/tokens/{id}/": "revokes the persona's token",
    # Webhooks authenticate with an integration's own token, not a persona's; their payloads
    # are fuzzed by tests/integrations (corpus of malformed alerts).
    "POST /api/integrations/alertmanager/": "integration token, not a persona",
    "POST /api/integrations/events/v2/": "integration token, not a persona",
}


@dataclass
class Failure:
    persona: str
    operation: str
    message: str


@dataclass
class Summary:
    operations: int = 0
    calls: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0


def load_schema():  # type: ignore[no-untyped-def]
    from helpdesk.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def run(
    *,
    tokens: dict[str, str],
    known_ids: dict[str, dict[str, int]],
    max_examples: int,
    derandomize: bool = True,
    excluded: Iterable[str] = EXCLUDED,
) -> Summary:
    """Fuzz every operation (positive cases) as each persona; collect failures, never raise.

    `known_ids` maps a path prefix to real path parameters, so some cases reach real objects
    (the others ask for random ids and must answer a documented 404/403).
    """
    # As Django's test client does: a request must not close the caller's connection (it
    # holds the test's transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    # Hundreds of expected 4xx would each log a warning.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        return _run(
            tokens=tokens,
            known_ids=known_ids,
            max_examples=max_examples,
            derandomize=derandomize,
            excluded=excluded,
        )
    finally:
        request_log.setLevel(level)
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _run(
    *,
    tokens: dict[str, str],
    known_ids: dict[str, dict[str, int]],
    max_examples: int,
    derandomize: bool,
    excluded: Iterable[str],
) -> Summary:
    schema = load_schema()
    summary = Summary()
    started = time.monotonic()
    skip = set(excluded)
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in skip:
            continue
        summary.operations += 1
        real = next(
            (ids for prefix, ids in known_ids.items() if operation.path.startswith(prefix)), None
        )
        for persona, token in tokens.items():
            headers = {"Authorization": f"Token {token}"}
            strategy = operation.as_strategy()
            if real is not None and operation.path_parameters:
                names = {parameter.name for parameter in operation.path_parameters}
                fixed = {name: value for name, value in real.items() if name in names}
                if fixed:
                    strategy = strategies.one_of(
                        strategy, operation.as_strategy(path_parameters=fixed)
                    )
            _fuzz(
                summary=summary,
                persona=persona,
                label=label,
                strategy=strategy,
                headers=headers,
                max_examples=max_examples,
                derandomize=derandomize,
            )
    summary.seconds = time.monotonic() - started
    return summary


def _fuzz(*, summary, persona, label, strategy, headers, max_examples, derandomize) -> None:  # type: ignore[no-untyped-def]
    seen: set[str] = set()

    @hypothesis.settings(
        max_examples=max_examples,
        derandomize=derandomize,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        report_multiple_bugs=False,
    )
    @hypothesis.given(case=strategy)
    def fuzz(case) -> None:  # type: ignore[no-untyped-def]
        response = case.call(headers=headers)
        summary.calls += 1
        summary.statuses[response.status_code] = summary.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:
            message = str(exc).strip()
            key = message.splitlines()[0] if message else type(exc).__name__
            if key not in seen:
                seen.add(key)
                summary.failures.append(Failure(persona, label, message[:1500]))

    fuzz()


def report(summary: Summary) -> str:
    lines = [
        f"{summary.operations} operations, {summary.calls} calls in {summary.seconds:.1f} s",
        "statuses: "
        + ", ".join(f"{code}×{count}" for code, count in sorted(summary.statuses.items())),
        f"{len(summary.failures)} distinct failures",
    ]
    for failure in summary.failures:
        lines.append(f"--- {failure.persona}: {failure.operation}\n{failure.message}")
    return "\n".join(lines)
