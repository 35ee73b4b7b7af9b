"""A longer schemathesis run than the test suite's (tests/security/test_schemathesis.py).

    .venv/bin/python bench/schemathesis.py [MAX_EXAMPLES] [--random]

Runs in-process against the database in DATABASE_URL, inside one transaction that is rolled
back at the end (nothing is kept; on-commit hand-offs never fire). Prints a summary and every
distinct failure; exits 1 if there is any.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file is named like the package it uses: take bench/ off the path, put the project on it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

from accounts.models import Role  # noqa: E402
from accounts.services import api_token_create  # noqa: E402
from escalation.models import Tier  # noqa: E402
from tests.factories import AgentFactory, OrganisationFactory, UserFactory  # noqa: E402
from tests.security import schemathesis_run  # noqa: E402
from tickets import services  # noqa: E402
from tickets.models import Level  # noqa: E402


class Rollback(Exception):
    pass


def main() -> int:
    max_examples = int(next((a for a in sys.argv[1:] if a.isdigit()), "50"))
    derandomize = "--random" not in sys.argv
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    summary = None
    try:
        with transaction.atomic():
            requester = UserFactory(
                username="st-bench-requester", organisation=OrganisationFactory()
            )
            agent = AgentFactory(username="st-bench-l1", tier=Tier.L1)
            manager = UserFactory(username="st-bench-manager", role=Role.MANAGER)
            ticket = services.ticket_create(
                requester=requester,
                title="Schemathesis bench",
                description="A ticket the fuzzer may reach.",
                urgency=Level.MEDIUM,
            )
            summary = schemathesis_run.run(
                tokens={
                    "requester": api_token_create(user=requester),
                    "agent_l1": api_token_create(user=agent),
                    "manager": api_token_create(user=manager),
                },
                known_ids={"/api/tickets/": {"id": ticket.pk, "ticket_id": ticket.pk}},
                max_examples=max_examples,
                derandomize=derandomize,
            )
            raise Rollback
    except Rollback:
        pass
    assert summary is not None
    print(f"max_examples={max_examples} derandomize={derandomize}")
    print(schemathesis_run.report(summary))
    print("excluded: " + "; ".join(f"{k} ({v})" for k, v in schemathesis_run.EXCLUDED.items()))
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
