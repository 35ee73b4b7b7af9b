"""Demo data for `make run`: one user per persona, categories and ~100 tickets in every state.

Re-running it keeps what is there and only prints the credentials again.
"""

import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from escalation.models import SupportGroup, Tier
from tickets import services
from tickets.models import Category, ClosureCode, Kind, Level, Status, Ticket

PERSONAS = [
    # username, role, tier, display name, language
    ("requester", Role.REQUESTER, None, "Rita Requester", "en"),
    ("solicitante", Role.REQUESTER, None, "Sara Solicitante", "es"),
    ("agent_l1", Role.AGENT, Tier.L1, "Liam L1", "en"),
    ("agent_l2", Role.AGENT, Tier.L2, "Lucía L2", "es"),
    ("agent_l3", Role.AGENT, Tier.L3, "Leo L3", "en"),
    ("manager", Role.MANAGER, None, "Mona Manager", "en"),
    ("security", Role.SECURITY_OFFICER, None, "Sam Security", "en"),
]
CATEGORIES = {
    ("Access", "Acceso"): [("Password reset", "Restablecer contraseña"), ("VPN", "VPN")],
    ("Email", "Correo"): [("Delivery", "Entrega"), ("Mailbox", "Buzón")],
    ("Hardware", "Hardware"): [("Laptop", "Portátil"), ("Printer", "Impresora")],
    ("Application", "Aplicación"): [("Billing", "Facturación"), ("App builder", "Creador de apps")],
}
TITLES = [
    "Cannot log in to the dashboard",
    "VPN disconnects every few minutes",
    "Emails to customers bounce",
    "Printer on the 2nd floor jams",
    "Invoice PDF shows the wrong total",
    "App builder preview is blank",
    "Password reset link expired",
    "Laptop fan is very loud",
    "No se puede publicar la app",
    "El correo tarda horas en llegar",
]
# The path from `new` to each target state, as service steps.
PATHS: dict[str, list[str]] = {
    Status.NEW: [],
    Status.LOGGED: ["identify"],
    Status.CATEGORIZED: ["identify", "categorize"],
    Status.PRIORITIZED: ["triage"],
    Status.IN_DIAGNOSIS: ["triage", "take"],
    Status.ON_HOLD: ["triage", "take", "reply", "hold"],
    Status.ESCALATED: ["triage", "take", "escalate"],
    Status.RESOLVED: ["triage", "take", "reply", "resolve"],
    Status.CLOSED: ["triage", "take", "resolve", "close"],
}


# Target states whose tickets may have climbed to L2 or L3 on the way.
ESCALATABLE = {Status.IN_DIAGNOSIS, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}


def password_for(username: str) -> str:
    return f"demo-{username}-2026"


class Command(BaseCommand):
    help = "Load demo users, categories and ~100 tickets (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tickets", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        users = self._personas()
        if not Ticket.objects.exists():
            categories = self._categories()
            self._tickets(users=users, categories=categories, count=options["tickets"])
            self.stdout.write(self.style.SUCCESS(f"Created {Ticket.objects.count()} demo tickets."))
        else:
            self.stdout.write("Demo data already loaded; keeping it.")
        self.stdout.write(f"\nSign in at {settings.HELPDESK_BASE_URL}/ as:")
        for username, role, tier, _name, _lang in PERSONAS:
            label = f"{role.label}" + (f" ({Tier(tier).label})" if tier else "")
            self.stdout.write(f"  {username:<12} {password_for(username):<26} {label}")
        self.stdout.write("  admin        demo-admin-2026            Django admin (/admin/)\n")

    def _personas(self) -> dict[str, User]:
        organisation, _ = Organisation.objects.get_or_create(name="Appy Pie customers")
        users = {}
        for username, role, tier, name, language in PERSONAS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "role": role,
                    "display_name": name,
                    "email": f"{username}@example.com",
                    "language": language,
                    "organisation": organisation if role == Role.REQUESTER else None,
                },
            )
            if created:
                user.set_password(password_for(username))
                user.save()
            if tier:
                group, _ = SupportGroup.objects.get_or_create(
                    name=f"{Tier(tier).label} team", defaults={"tier": tier, "lead": user}
                )
                group.members.add(user)
            users[username] = user
        self._rota_and_canned(users=users)
        admin, created = User.objects.get_or_create(
            username="admin",
            defaults={
                "role": Role.MANAGER,
                "is_staff": True,
                "is_superuser": True,
                "email": "admin@example.com",
                "display_name": "Admin",
            },
        )
        if created:
            admin.set_password("demo-admin-2026")
            admin.save()
        return users

    def _rota_and_canned(self, *, users: dict[str, User]) -> None:
        """The L3 on-call rota (so a P1 pages someone) and a few canned responses."""
        from escalation.models import OnCallShift
        from knowledge.models import CannedResponse

        if not OnCallShift.objects.exists():
            start = timezone.now().replace(minute=0, second=0, microsecond=0)
            OnCallShift.objects.create(
                agent=users["agent_l3"],
                tier=Tier.L3,
                starts_at=start - timedelta(days=15),
                ends_at=start + timedelta(days=30),
                note="Demo rota",
            )
        if not CannedResponse.objects.exists():
            CannedResponse.objects.bulk_create(
                [
                    CannedResponse(
                        title="Looking into it",
                        body="Hello {requester_name}, thanks for reporting {ticket_reference}. "
                        "We are looking into it and will update you shortly. — {agent_name}",
                        language="en",
                    ),
                    CannedResponse(
                        title="Lo estamos revisando",
                        body="Hola {requester_name}, gracias por informar de {ticket_reference}. "
                        "Lo estamos revisando y le mantendremos informado. — {agent_name}",
                        language="es",
                    ),
                ]
            )

    def _categories(self) -> list[Category]:
        leaves = []
        for (name, name_es), children in CATEGORIES.items():
            parent, _ = Category.objects.get_or_create(
                name=name, parent=None, defaults={"name_es": name_es}
            )
            for child, child_es in children:
                leaf, _ = Category.objects.get_or_create(
                    name=child, parent=parent, defaults={"name_es": child_es}
                )
                leaves.append(leaf)
        return leaves

    def _tickets(self, *, users: dict[str, User], categories: list[Category], count: int) -> None:
        import time_machine  # a dev dependency: the demo spreads tickets over the past days

        rng = random.Random(2026)  # the same demo every time
        states = list(PATHS)
        levels = list(Level)
        start = timezone.now() - timedelta(days=14)
        for n in range(count):
            status = states[n % len(states)]
            created = start + timedelta(hours=3 * n + rng.randint(0, 2))
            with time_machine.travel(created, tick=False), transaction.atomic():
                requester = users["requester" if n % 3 else "solicitante"]
                ticket = services.ticket_create(
                    requester=requester,
                    title=TITLES[n % len(TITLES)],
                    description="Reported through the demo data. " + TITLES[n % len(TITLES)] + ".",
                    urgency=levels[n % 3],
                )
                self._walk(
                    ticket=ticket,
                    steps=PATHS[status],
                    users=users,
                    category=categories[n % len(categories)],
                    impact=rng.choice(levels),
                    urgency=rng.choice(levels),
                    escalations=rng.randint(0, 2) if status in ESCALATABLE else 0,
                    moment=created,
                )

    def _walk(
        self,
        *,
        ticket: Ticket,
        steps: list[str],
        users: dict[str, User],
        category: Category,
        impact: str,
        urgency: str,
        escalations: int,
        moment: Any,
    ) -> None:
        import time_machine

        agents = {
            Tier.L1: users["agent_l1"],
            Tier.L2: users["agent_l2"],
            Tier.L3: users["agent_l3"],
        }
        requester = ticket.requester
        for step in steps:
            moment += timedelta(minutes=25)
            with time_machine.travel(moment, tick=False):
                agent = agents[Tier(ticket.tier)]
                if step == "identify":
                    ticket = services.ticket_identify(
                        ticket=ticket, actor=agent, kind=Kind.INCIDENT
                    )
                elif step == "categorize":
                    ticket = services.ticket_categorize(
                        ticket=ticket, actor=agent, category=category
                    )
                elif step == "triage":
                    kind = Kind.SERVICE_REQUEST if ticket.pk % 5 == 0 else Kind.INCIDENT
                    ticket = services.ticket_triage(
                        ticket=ticket,
                        actor=agent,
                        kind=kind,
                        category=category,
                        impact=impact,
                        urgency=urgency,
                    )
                elif step == "take":
                    ticket = services.ticket_take(ticket=ticket, actor=agent)
                    for _ in range(escalations):
                        if ticket.tier >= Tier.L3:  # a P1 was routed straight to L3
                            break
                        ticket = services.ticket_escalate(
                            ticket=ticket,
                            actor=agents[Tier(ticket.tier)],
                            reason="Needs deeper expertise.",
                        )
                        ticket = services.ticket_take(
                            ticket=ticket, actor=agents[Tier(ticket.tier)]
                        )
                elif step == "reply":
                    services.comment_create(
                        ticket=ticket,
                        actor=agent,
                        body="Internal: checking the logs.",
                        is_internal=True,
                    )
                    services.comment_create(
                        ticket=ticket, actor=agent, body="Thanks, we are looking into it."
                    )
                elif step == "hold":
                    ticket = services.ticket_hold(
                        ticket=ticket, actor=agent, reason="Asked for a screenshot."
                    )
                elif step == "escalate" and ticket.tier < Tier.L3:
                    ticket = services.ticket_escalate(
                        ticket=ticket, actor=agent, reason="Needs L2 diagnosis."
                    )
                elif step == "resolve":
                    ticket = services.ticket_resolve(
                        ticket=ticket,
                        actor=agent,
                        summary="Fixed the configuration and verified with the requester.",
                        code=ClosureCode.FIXED,
                    )
                elif step == "close":
                    ticket = services.ticket_close(ticket=ticket, actor=requester)
