"""Demo data for `make run`: one user per persona, categories and ~100 tickets in every state,
with what they lead to: knowledge-base articles in both languages, satisfaction answers, major
incidents on /status/, a data-breach record, varied resolutions.

Written without notifications (the demo's past is not news). Re-running it keeps what is there
and only prints the credentials again.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, Role, User
from escalation.models import SupportGroup, Tier
from notifications.services import notifications_suppressed
from ola.models import OlaTarget
from ola.sweep import ola_sweep
from sla.sweep import sla_sweep
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


@dataclass(frozen=True)
class Story:
    """One kind of demo ticket: its category, words in both languages and how it was solved."""

    category: tuple[str, str]
    title: tuple[str, str]  # English, Spanish
    description: tuple[str, str]
    resolution: tuple[str, str]
    code: str = ClosureCode.FIXED
    kind: str = Kind.INCIDENT


STORIES = [
    Story(
        ("Access", "VPN"),
        ("VPN disconnects every few minutes", "La VPN se desconecta cada pocos minutos"),
        (
            "Since this morning the VPN drops every ten minutes and I lose my remote session.",
            "Desde esta mañana la VPN se corta cada diez minutos y pierdo la sesión remota.",
        ),
        (
            "Updated the VPN client to 5.2 and lowered the MTU to 1400; stable for a full day.",
            "Se actualizó el cliente VPN a la 5.2 y se bajó el MTU a 1400; estable un día entero.",
        ),
    ),
    Story(
        ("Access", "Password reset"),
        ("Password reset link expired", "El enlace para restablecer la contraseña ha caducado"),
        (
            "The reset email arrived after lunch and the link says it has expired.",
            "El correo de restablecimiento llegó después de comer y el enlace dice que ha "
            "caducado.",
        ),
        (
            "Reset links last one hour; sent a new one and the requester set a new password.",
            "Los enlaces duran una hora; se envió otro y el solicitante cambió la contraseña.",
        ),
        ClosureCode.INFORMATION,
    ),
    Story(
        ("Access", "Password reset"),
        ("Cannot log in to the dashboard", "No puedo entrar al panel"),
        (
            "The dashboard says my password is wrong, but it worked yesterday.",
            "El panel dice que la contraseña es incorrecta, pero ayer funcionaba.",
        ),
        (
            "The account was locked after five failed attempts; unlocked it and explained the "
            "policy.",
            "La cuenta se bloqueó tras cinco intentos fallidos; se desbloqueó y se explicó la "
            "política.",
        ),
        ClosureCode.INFORMATION,
    ),
    Story(
        ("Email", "Delivery"),
        ("Emails to customers bounce", "Los correos a clientes rebotan"),
        (
            "Every email to customers at one domain comes back with 'SPF check failed'.",
            "Todos los correos a clientes de un dominio vuelven con «SPF check failed».",
        ),
        (
            "The SPF record lacked the new mail relay; added it and the messages were resent.",
            "Al registro SPF le faltaba el nuevo relé de correo; se añadió y se reenviaron los "
            "mensajes.",
        ),
    ),
    Story(
        ("Email", "Delivery"),
        ("Emails arrive hours late", "El correo tarda horas en llegar"),
        (
            "Messages from our suppliers arrive three or four hours after they were sent.",
            "Los mensajes de los proveedores llegan tres o cuatro horas después de enviarse.",
        ),
        (
            "No delay on our relays: the supplier's spam filter held the messages. Told them how.",
            "Sin retrasos en nuestros relés: el filtro antispam del proveedor retenía los "
            "mensajes.",
        ),
        ClosureCode.NO_FAULT_FOUND,
    ),
    Story(
        ("Email", "Mailbox"),
        ("Mailbox full, new mail is refused", "Buzón lleno, se rechaza el correo nuevo"),
        (
            "Senders get 'mailbox full' and I cannot delete enough to make room.",
            "Los remitentes reciben «buzón lleno» y no consigo borrar lo suficiente.",
        ),
        (
            "Archived mail older than two years to the online archive; 60 % of the quota is free.",
            "Se archivó el correo de más de dos años en el archivo en línea; queda un 60 % libre.",
        ),
        ClosureCode.WORKAROUND,
    ),
    Story(
        ("Hardware", "Printer"),
        ("Printer on the 2nd floor jams", "La impresora de la 2.ª planta se atasca"),
        (
            "Every third page jams in tray 2 of the printer by the meeting rooms.",
            "Una de cada tres páginas se atasca en la bandeja 2 de la impresora de las salas.",
        ),
        (
            "Replaced the worn pickup roller of tray 2; 200 test pages printed without a jam.",
            "Se cambió el rodillo gastado de la bandeja 2; 200 páginas de prueba sin atascos.",
        ),
    ),
    Story(
        ("Hardware", "Laptop"),
        ("Laptop fan is very loud", "El ventilador del portátil hace mucho ruido"),
        (
            "The fan runs at full speed even with only the browser open.",
            "El ventilador va a tope incluso con solo el navegador abierto.",
        ),
        (
            "Cleaned the fan and installed the BIOS update with the new fan curve.",
            "Se limpió el ventilador y se instaló la actualización de BIOS con la nueva curva.",
        ),
    ),
    Story(
        ("Hardware", "Laptop"),
        ("New laptop for a starter", "Portátil nuevo para una incorporación"),
        (
            "Ana starts on Monday in Finance and needs a laptop with the standard software.",
            "Ana empieza el lunes en Finanzas y necesita un portátil con el software estándar.",
        ),
        (
            "Laptop prepared with the standard image and left at reception for Ana.",
            "Portátil preparado con la imagen estándar y dejado en recepción para Ana.",
        ),
        kind=Kind.SERVICE_REQUEST,
    ),
    Story(
        ("Application", "Billing"),
        ("Invoice PDF shows the wrong total", "La factura en PDF muestra un total incorrecto"),
        (
            "The PDF total is 0.01 off the amount on the screen for invoices with 21 % VAT.",
            "El total del PDF difiere 0,01 del de la pantalla en las facturas con IVA del 21 %.",
        ),
        (
            "A rounding bug in the VAT line, fixed in release 4.8.2; the invoice was regenerated.",
            "Un error de redondeo en la línea de IVA, corregido en la versión 4.8.2; se regeneró.",
        ),
    ),
    Story(
        ("Application", "App builder"),
        ("App builder preview is blank", "La vista previa del creador de apps sale en blanco"),
        (
            "The preview pane stays white; the editor itself works.",
            "El panel de vista previa se queda en blanco; el editor funciona.",
        ),
        (
            "A privacy extension blocked the preview frame: allow the builder's domain in it.",
            "Una extensión de privacidad bloqueaba la vista previa: permita el dominio del "
            "creador.",
        ),
        ClosureCode.WORKAROUND,
    ),
    Story(
        ("Application", "App builder"),
        ("Cannot publish the app to the store", "No se puede publicar la app en la tienda"),
        (
            "Publishing stops at 'signing' with error 403.",
            "La publicación se detiene en «firmando» con el error 403.",
        ),
        (
            "The store signing certificate had expired; renewed it and the app was published.",
            "El certificado de firma de la tienda había caducado; se renovó y la app se publicó.",
        ),
    ),
]
# Public knowledge-base articles, in both languages: the portal suggests them as people type.
ARTICLES = [
    (
        ("Access", "VPN"),
        ("How to reconnect the VPN", "Cómo reconectar la VPN"),
        (
            "If the VPN disconnects every few minutes:\n\n1. Update the VPN client to 5.2 or "
            "later.\n"
            "2. Switch from Wi-Fi to a cable if you can.\n3. Still dropping? Open a request with "
            "the time of each drop.",
            "Si la VPN se desconecta cada pocos minutos:\n\n1. Actualice el cliente VPN a la 5.2 o "
            "posterior.\n2. Use cable en lugar de wifi si puede.\n3. ¿Se sigue cortando? Abra "
            "una solicitud con la hora de cada corte.",
        ),
    ),
    (
        ("Access", "Password reset"),
        ("Reset your password", "Restablecer la contraseña"),
        (
            "Choose 'Forgot your password?' on the sign-in page. The link we email lasts one hour; "
            "after five failed attempts the account locks for 15 minutes.",
            "Elija «¿Ha olvidado la contraseña?» en la página de acceso. El enlace que enviamos "
            "dura una hora; tras cinco intentos fallidos la cuenta se bloquea 15 minutos.",
        ),
    ),
    (
        ("Email", "Delivery"),
        ("Why emails bounce and what to do", "Por qué rebotan los correos y qué hacer"),
        (
            "A bounce says why in its first lines: 'mailbox full', 'user unknown' or 'SPF check "
            "failed'. Forward the bounce to us with a new request when it names our domain.",
            "Un rebote explica el motivo en sus primeras líneas: «buzón lleno», «usuario "
            "desconocido» o «SPF check failed». Reenvíenos el rebote en una solicitud nueva.",
        ),
    ),
    (
        ("Hardware", "Printer"),
        ("Clear a paper jam on the office printers", "Eliminar un atasco en las impresoras"),
        (
            "Open the front door, pull the green lever and remove the paper slowly. If the same "
            "tray jams again, tell us the tray number: its roller may be worn.",
            "Abra la puerta delantera, tire de la palanca verde y retire el papel despacio. Si la "
            "misma bandeja se vuelve a atascar, indíquenos su número: el rodillo puede estar "
            "gastado.",
        ),
    ),
    (
        ("Application", "App builder"),
        ("The app builder preview is blank", "La vista previa del creador de apps sale en blanco"),
        (
            "Privacy and ad-blocking extensions can block the preview. Allow the builder's domain "
            "in the extension, then reload the editor.",
            "Las extensiones de privacidad o bloqueo de anuncios pueden bloquear la vista previa. "
            "Permita el dominio del creador en la extensión y recargue el editor.",
        ),
    ),
    (
        ("Application", "Billing"),
        ("Understanding your invoice", "Entender su factura"),
        (
            "Each invoice lists the plan, the period, VAT and the total. Totals are rounded per "
            "line; ask us if the PDF and the screen disagree.",
            "Cada factura indica el plan, el periodo, el IVA y el total. Los totales se redondean "
            "por línea; consúltenos si el PDF y la pantalla no coinciden.",
        ),
    ),
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
REPLIES = {
    "en": ("Thanks, we are looking into it.", "Could you send a screenshot of the error?"),
    "es": ("Gracias, lo estamos revisando.", "¿Podría enviarnos una captura del error?"),
}
# Satisfaction answers: mostly happy, some not (the dashboards need both).
RATINGS = [5, 5, 4, 5, 3, 4, 5, 2, 4, 5]
COMMENTS = {
    "en": {5: "Quick and clear, thank you!", 2: "It took three days to get an answer."},
    "es": {5: "¡Rápido y claro, gracias!", 2: "Tardaron tres días en responder."},
}


# Target states whose tickets may have climbed to L2 or L3 on the way.
ESCALATABLE = {Status.IN_DIAGNOSIS, Status.ON_HOLD, Status.RESOLVED, Status.CLOSED}


def password_for(username: str) -> str:
    return f"demo-{username}-2026"


class Command(BaseCommand):
    help = "Load demo users, categories, ~100 tickets and what they lead to (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--tickets", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        # The demo's past is history, not news: nobody is emailed about it, so the first start
        # does not queue hundreds of emails in front of the real ones.
        with notifications_suppressed():
            users = self._personas()
            self._chat_channels()
            self._ola_targets()
            if not Ticket.objects.exists():
                categories = self._categories()
                self._tickets(users=users, categories=categories, count=options["tickets"])
                self._articles(users=users, categories=categories)
                self._major_incident(users=users, categories=categories)
                self._breach(users=users, categories=categories)
                self._due_soon(users=users, categories=categories)
                # Record now every SLA warning and breach the history has reached, so the
                # first sweep of the running demo finds nothing old to email about.
                sla_sweep(now=timezone.now())
                ola_sweep(now=timezone.now())
                self.stdout.write(
                    self.style.SUCCESS(f"Created {Ticket.objects.count()} demo tickets.")
                )
            else:
                self.stdout.write("Demo data already loaded; keeping it.")
        self.stdout.write(f"\nSign in at {settings.HELPDESK_BASE_URL}/ as:")
        for username, role, tier, _name, _lang in PERSONAS:
            label = f"{role.label}" + (f" ({Tier(tier).label})" if tier else "")
            self.stdout.write(f"  {username:<12} {password_for(username):<26} {label}")
        self.stdout.write("  admin        demo-admin-2026            Django admin (/admin/)\n")

    def _ola_targets(self) -> None:
        """Issue 22's example as the demo's OLA set (docs/ola.md): L1 takes a P1 within
        15 min and hands it on within 30 min; the other priorities and tiers get more time."""
        minutes = timedelta(minutes=1)
        table = {  # tier: {priority: (take within, hand on within)}
            Tier.L1: {1: (15, 30), 2: (30, 120), 3: (60, 240), 4: (120, 480), 5: (240, 960)},
            Tier.L2: {1: (30, 120), 2: (60, 240), 3: (120, 480), 4: (240, 960), 5: (480, 1440)},
            Tier.L3: {1: (15, 240), 2: (60, 480), 3: (120, 960), 4: (240, 1440), 5: (480, 2880)},
        }
        for tier, rows in table.items():
            for priority, (take, handoff) in rows.items():
                OlaTarget.objects.get_or_create(
                    tier=tier,
                    priority=priority,
                    defaults={"take_within": take * minutes, "handoff_within": handoff * minutes},
                )

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

    def _chat_channels(self) -> None:
        """One chat channel per platform (docs/chat.md), DISABLED and pointing at placeholder
        `.invalid` addresses (RFC 2606: they never resolve): the demo shows how they are set
        up and never sends, let alone waits on, anything. A manager enters real ones."""
        from chat.models import ChatChannel, ChatEvent, Platform
        from chat.services import chat_channel_save

        admin = User.objects.get(username="admin")
        placeholders = [
            (Platform.SLACK, Tier.L1, "https://hooks.slack.invalid/services/DEMO/PLACEHOLDER"),
            (Platform.TEAMS, Tier.L2, "https://teams.invalid/workflows/DEMO-PLACEHOLDER"),
            (Platform.MATRIX, Tier.L3, "demo-placeholder-token"),
        ]
        for platform, tier, secret in placeholders:
            name = f"Demo {Platform(platform).label} (placeholder, disabled)"
            group = SupportGroup.objects.filter(tier=tier).order_by("pk").first()
            if group is None or ChatChannel.objects.filter(name=name).exists():
                continue
            chat_channel_save(
                actor=admin,
                channel=None,
                name=name,
                support_group=group,
                platform=platform,
                events=[value for value in ChatEvent.values if value != ChatEvent.TEST],
                language="es" if platform == Platform.TEAMS else "en",
                is_enabled=False,
                homeserver="https://matrix.invalid" if platform == Platform.MATRIX else "",
                room_id="!demo-placeholder:matrix.invalid" if platform == Platform.MATRIX else "",
                secret=secret,
            )

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

    def _categories(self) -> dict[tuple[str, str], Category]:
        """Every category by its (parent, name) path; top categories as (name, "")."""
        found = {}
        for (name, name_es), children in CATEGORIES.items():
            parent, _ = Category.objects.get_or_create(
                name=name, parent=None, defaults={"name_es": name_es}
            )
            found[(name, "")] = parent
            for child, child_es in children:
                leaf, _ = Category.objects.get_or_create(
                    name=child, parent=parent, defaults={"name_es": child_es}
                )
                found[(name, child)] = leaf
        return found

    def _tickets(
        self,
        *,
        users: dict[str, User],
        categories: dict[tuple[str, str], Category],
        count: int,
    ) -> None:
        """Closed and resolved tickets over the past two weeks; open ones from the last two
        days, so the queues show a working day (some at risk, some breached, most on time)."""
        import time_machine  # a dev dependency: the demo spreads tickets over the past days

        rng = random.Random(2026)  # the same demo every time
        states = list(PATHS)
        levels = list(Level)
        now = timezone.now()
        plan = []
        for n in range(count):
            status = states[n % len(states)]
            if status in (Status.RESOLVED, Status.CLOSED):
                created = now - timedelta(days=14) + timedelta(hours=rng.randint(0, 11 * 24))
            else:
                created = now - timedelta(minutes=rng.randint(20, 40 * 60))
            plan.append((created, n, status))
        for created, n, status in sorted(plan):
            story = STORIES[n % len(STORIES)]
            requester = users["requester" if n % 3 else "solicitante"]
            language = 1 if requester.language == "es" else 0
            with time_machine.travel(created, tick=False), transaction.atomic():
                ticket = services.ticket_create(
                    requester=requester,
                    title=story.title[language],
                    description=story.description[language],
                    urgency=levels[n % 3],
                    # Customers often leave the category to the service desk.
                    category=categories[story.category] if n % 4 == 0 else None,
                )
                self._walk(
                    ticket=ticket,
                    story=story,
                    steps=PATHS[status],
                    users=users,
                    category=categories[story.category],
                    impact=rng.choice(levels),
                    urgency=rng.choice(levels),
                    escalations=rng.randint(0, 2) if status in ESCALATABLE else 0,
                    moment=created,
                    language=language,
                    rating=RATINGS[n % len(RATINGS)] if n % 4 else None,
                )

    def _walk(
        self,
        *,
        ticket: Ticket,
        story: Story,
        steps: list[str],
        users: dict[str, User],
        category: Category,
        impact: str,
        urgency: str,
        escalations: int,
        moment: Any,
        language: int,
        rating: int | None,
    ) -> None:
        import time_machine

        from csat.models import SatisfactionSurvey
        from csat.services import survey_answer

        agents = {
            Tier.L1: users["agent_l1"],
            Tier.L2: users["agent_l2"],
            Tier.L3: users["agent_l3"],
        }
        requester = ticket.requester
        lang = "es" if language else "en"
        for step in steps:
            moment += timedelta(minutes=25)
            with time_machine.travel(moment, tick=False):
                agent = agents[Tier(ticket.tier)]
                if step == "identify":
                    ticket = services.ticket_identify(ticket=ticket, actor=agent, kind=story.kind)
                elif step == "categorize":
                    ticket = services.ticket_categorize(
                        ticket=ticket, actor=agent, category=category
                    )
                elif step == "triage":
                    ticket = services.ticket_triage(
                        ticket=ticket,
                        actor=agent,
                        kind=story.kind,
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
                    services.comment_create(ticket=ticket, actor=agent, body=REPLIES[lang][0])
                elif step == "hold":
                    services.comment_create(ticket=ticket, actor=agent, body=REPLIES[lang][1])
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
                        summary=story.resolution[language],
                        code=story.code,
                    )
                elif step == "close":
                    ticket = services.ticket_close(ticket=ticket, actor=requester)
        survey = SatisfactionSurvey.objects.filter(ticket=ticket).first()
        if survey is not None and rating is not None:
            with time_machine.travel(moment + timedelta(hours=2), tick=False):
                survey_answer(survey=survey, rating=rating, comment=COMMENTS[lang].get(rating, ""))

    def _due_soon(
        self, *, users: dict[str, User], categories: dict[tuple[str, str], Category]
    ) -> None:
        """Two tickets the breach forecast (/sla/forecast/) and its dashboard tile show: a P2
        incident taken six hours ago, its resolution (8 h) due in about two hours; and a P3
        incident L1 took three hours ago and still holds, its OLA hand-off (4 h) due in about an
        hour (docs/ola.md)."""
        self._in_progress_since(
            hours=6, story=STORIES[0], steps=["triage", "take", "reply"], impact=Level.HIGH,
            users=users, categories=categories,
        )  # fmt: skip
        self._in_progress_since(
            hours=3, story=STORIES[1], steps=["triage", "take"], impact=Level.MEDIUM,
            users=users, categories=categories,
        )  # fmt: skip

    def _in_progress_since(
        self,
        *,
        hours: int,
        story: Story,
        steps: list[str],
        impact: str,
        users: dict[str, User],
        categories: dict[tuple[str, str], Category],
    ) -> None:
        import time_machine

        created = timezone.now() - timedelta(hours=hours)
        with time_machine.travel(created, tick=False), transaction.atomic():
            ticket = services.ticket_create(
                requester=users["requester"],
                title=story.title[0],
                description=story.description[0],
                urgency=Level.MEDIUM,
            )
        self._walk(
            ticket=ticket,
            story=story,
            steps=steps,
            users=users,
            category=categories[story.category],
            impact=impact,
            urgency=Level.MEDIUM,
            escalations=0,
            moment=created,
            language=0,
            rating=None,
        )

    def _articles(
        self, *, users: dict[str, User], categories: dict[tuple[str, str], Category]
    ) -> None:
        from kb.models import Visibility
        from kb.services import article_create

        for path, titles, bodies in ARTICLES:
            for language, title, body in zip(("en", "es"), titles, bodies, strict=True):
                article_create(
                    actor=users["agent_l1"],
                    title=title,
                    body=body,
                    language=language,
                    visibility=Visibility.PUBLIC,
                    category=categories[path],
                )
        article_create(
            actor=users["agent_l2"],
            title="Restart the VPN gateway",
            body="For agents: drain the gateway in the load balancer, restart it, and check the "
            "tunnel count before putting it back.",
            language="en",
            visibility=Visibility.INTERNAL,
            category=categories[("Access", "VPN")],
        )

    def _major_incident(
        self, *, users: dict[str, User], categories: dict[tuple[str, str], Category]
    ) -> None:
        """A P1 outage declared a major incident, on /status/ now, with two linked tickets; and
        an older one, resolved, in the status page's history."""
        import time_machine

        from incidents.models import IncidentStatus
        from incidents.services import (
            major_incident_declare,
            major_incident_link,
            status_update_post,
        )

        l1, l3 = users["agent_l1"], users["agent_l3"]
        delivery = categories[("Email", "Delivery")]
        now = timezone.now()
        for started, resolved in (
            (now - timedelta(days=6), True),
            (now - timedelta(hours=1), False),
        ):
            with time_machine.travel(started, tick=False):
                outage = services.ticket_create(
                    requester=users["requester"],
                    title="Nobody receives our emails" if not resolved else "Calendar invites fail",
                    description="Since a few minutes ago no email reaches any customer."
                    if not resolved
                    else "Meeting invitations are not delivered to anyone.",
                    urgency=Level.HIGH,
                )
                outage = services.ticket_triage(
                    ticket=outage,
                    actor=l1,
                    kind=Kind.INCIDENT,
                    category=delivery,
                    impact=Level.HIGH,
                    urgency=Level.HIGH,
                )  # P1: routed to L3, the on-call agent paged
                outage = services.ticket_take(ticket=outage, actor=l3)
                incident = major_incident_declare(
                    ticket=outage,
                    actor=l3,
                    public_title="Email delivery is delayed"
                    if not resolved
                    else "Calendar invitations are not sent",
                    public_title_es="El correo llega con retraso"
                    if not resolved
                    else "No se envían las invitaciones de calendario",
                    affected_services="Email, Calendar" if not resolved else "Calendar",
                    message="We are investigating delays in outgoing email.",
                    message_es="Estamos investigando retrasos en el correo saliente.",
                    next_update_due_at=started + timedelta(hours=2),
                )
                for requester in (users["requester"], users["solicitante"]):
                    affected = services.ticket_create(
                        requester=requester,
                        title="My emails are not delivered"
                        if requester.language == "en"
                        else "Mis correos no se entregan",
                        description="Customers say they got nothing from us today."
                        if requester.language == "en"
                        else "Los clientes dicen que hoy no han recibido nada nuestro.",
                        urgency=Level.HIGH,
                    )
                    major_incident_link(incident=incident, ticket=affected, actor=l1)
            with time_machine.travel(started + timedelta(minutes=40), tick=False):
                status_update_post(
                    incident=incident,
                    actor=l3,
                    status=IncidentStatus.IDENTIFIED,
                    message="A full queue on the outgoing relay; we are draining it.",
                    message_es="Una cola llena en el relé de salida; la estamos vaciando.",
                    next_update_due_at=started + timedelta(hours=2),
                )
            if resolved:
                with time_machine.travel(started + timedelta(hours=3), tick=False):
                    status_update_post(
                        incident=incident,
                        actor=l3,
                        status=IncidentStatus.RESOLVED,
                        message="The relay is back to normal and the delayed messages were sent.",
                        message_es="El relé funciona con normalidad y se enviaron los mensajes.",
                    )

    def _breach(
        self, *, users: dict[str, User], categories: dict[tuple[str, str], Category]
    ) -> None:
        """An invoice sent to the wrong customer, flagged by L1, assessed by the officer."""
        from breaches.models import RiskLevel
        from breaches.services import breach_flag_ticket, breach_update

        ticket = services.ticket_create(
            requester=users["requester"],
            title="I received another customer's invoice",
            description="The invoice emailed to me today has another company's name, address "
            "and amounts on it.",
            urgency=Level.HIGH,
            category=categories[("Application", "Billing")],
        )
        breach = breach_flag_ticket(
            ticket=ticket,
            actor=users["agent_l1"],
            description="An invoice with another customer's details was emailed to our requester.",
        )
        breach_update(
            breach=breach,
            actor=users["security"],
            title="Invoice emailed to the wrong customer",
            is_confidentiality=True,
            subject_categories="Customers (business contacts)",
            subjects_approx=1,
            data_categories="Name, postal address, invoice amounts",
            records_approx=1,
            likely_consequences="Low: business contact data of one customer.",
            risk_level=RiskLevel.RISK,
            containment_measures="Asked the recipient to delete the email; confirmed in writing.",
            dpo_contact="dpo@example.com",
        )
