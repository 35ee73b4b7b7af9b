"""Similar incidents: relevance in English and Spanish, same category first, only tickets the
user may read, served by the full-text indexes."""

import pytest
from django.db import connection, transaction

from kb.selectors import SimilarQuery, _similar_fallback, similar_incidents, similar_to_ticket
from tests.factories import AgentFactory, CategoryFactory
from tickets import services
from tickets.models import Level, Status

pytestmark = pytest.mark.django_db

# (key, category, title, description, resolution summary)
PAST = [
    (
        "vpn",
        "net",
        "VPN disconnects every few minutes",
        "The VPN client drops the tunnel when I work from home.",
        "Updated the VPN client and lowered the MTU.",
    ),
    (
        "printer",
        "hw",
        "Cannot print to the floor printer",
        "Jobs stay in the print queue and never come out.",
        "Cleared the spooler and reinstalled the printer driver.",
    ),
    (
        "outlook",
        "mail",
        "Outlook keeps asking for my password",
        "Outlook prompts for credentials every hour.",
        "Removed cached credentials and re-created the Outlook profile.",
    ),
    (
        "boot",
        "hw",
        "Laptop will not boot after the update",
        "The laptop shows a black screen after the Windows update.",
        "Rolled back the update from recovery mode.",
    ),
    (
        "mfa",
        "acc",
        "MFA prompt never arrives on my phone",
        "The authenticator app does not get the push notification.",
        "Re-registered the phone in the MFA portal.",
    ),
    (
        "mailbox",
        "mail",
        "Mailbox full, cannot send email",
        "I get a quota warning and messages bounce.",
        "Archived old mail and raised the mailbox quota.",
    ),
    (
        "wifi",
        "net",
        "Wi-Fi very slow in the meeting rooms",
        "Video calls freeze on the wireless network upstairs.",
        "Moved the access points to a free channel.",
    ),
    (
        "dns",
        "net",
        "Intranet name does not resolve",
        "The browser says the DNS name of the intranet cannot be found.",
        "Fixed the DNS record of the intranet server.",
    ),
    (
        "excel",
        "sw",
        "Excel crashes when opening large spreadsheets",
        "Excel closes itself when I open the sales workbook.",
        "Disabled the faulty add-in and repaired Office.",
    ),
    (
        "badge",
        "fac",
        "Badge does not open the second floor door",
        "My access card works downstairs but not on floor two.",
        "Added floor two to the badge access profile.",
    ),
    (
        "teams",
        "mail",
        "Teams calls drop after ten minutes",
        "Every video call in Teams disconnects after about ten minutes.",
        "Excluded Teams traffic from the proxy.",
    ),
    (
        "es_vpn",
        "net",
        "La VPN se desconecta cada pocos minutos",
        "Desde casa la conexión VPN se cae continuamente.",
        "Se actualizó el cliente VPN y se ajustó el MTU.",
    ),
    (
        "es_impresora",
        "hw",
        "No puedo imprimir en la impresora de la planta",
        "Los trabajos se quedan en la cola de impresión.",
        "Se reinició la cola de impresión y se reinstaló el controlador.",
    ),
    (
        "es_contrasena",
        "acc",
        "He olvidado mi contraseña y la cuenta está bloqueada",
        "No puedo iniciar sesión, la cuenta aparece bloqueada.",
        "Se desbloqueó la cuenta y se restableció la contraseña.",
    ),
    (
        "es_correo",
        "mail",
        "El buzón de correo está lleno",
        "No puedo enviar correos porque el buzón supera la cuota.",
        "Se archivó el correo antiguo y se amplió la cuota.",
    ),
    (
        "es_portatil",
        "hw",
        "El portátil no arranca tras la actualización",
        "Pantalla negra al encender el portátil después de actualizar.",
        "Se revirtió la actualización desde el modo de recuperación.",
    ),
    (
        "es_wifi",
        "net",
        "La wifi va muy lenta en las salas de reuniones",
        "Las videollamadas se congelan en la red inalámbrica.",
        "Se cambiaron los puntos de acceso a un canal libre.",
    ),
    (
        "es_pantalla",
        "hw",
        "La pantalla parpadea con la base de conexión",
        "El monitor externo parpadea cuando conecto el portátil a la base.",
        "Se actualizó el firmware de la base y se cambió el cable.",
    ),
    (
        "es_telefono",
        "tel",
        "El teléfono fijo no tiene tono",
        "Al descolgar el teléfono de la mesa no se oye tono.",
        "Se reconfiguró la extensión en la centralita.",
    ),
    (
        "es_factura",
        "sw",
        "El informe de facturación del ERP tarda demasiado",
        "El informe mensual de facturas se queda colgado.",
        "Se añadió un índice a la tabla de facturas del ERP.",
    ),
    (
        "es_phishing",
        "sec",
        "Correo sospechoso con un adjunto",
        "He recibido un correo extraño pidiendo abrir un archivo adjunto.",
        "Se bloqueó el remitente y se eliminó el mensaje de todos los buzones.",
    ),
    (
        "es_licencia",
        "sw",
        "La licencia del programa de diseño ha caducado",
        "El programa de dibujo dice que la licencia expiró.",
        "Se renovó la licencia en el servidor de licencias.",
    ),
]

# (new ticket title, description, the key of the past incident that must be in the top 3)
QUERIES = [
    ("VPN keeps dropping", "Working from home, the tunnel disconnects.", "vpn"),
    ("Printer not printing", "My documents get stuck in the print queue.", "printer"),
    ("Outlook password prompt", "It keeps asking me to sign in again.", "outlook"),
    ("No MFA notification", "The push never arrives on my phone.", "mfa"),
    ("Excel crash", "Excel crashes opening a big spreadsheet.", "excel"),
    ("Teams video calls disconnect", "", "teams"),
    ("Intranet DNS", "The intranet address cannot be resolved.", "dns"),
    ("VPN se cae", "La conexión VPN desde casa se desconecta.", "es_vpn"),
    ("Impresora no imprime", "Mis documentos se quedan en la cola de impresión.", "es_impresora"),
    ("Cuenta bloqueada", "Olvidé la contraseña y no puedo iniciar sesión.", "es_contrasena"),
    ("Buzón lleno", "No puedo enviar correos, cuota superada.", "es_correo"),
    (
        "Portátil no arranca",
        "Tras la actualización el portátil muestra pantalla negra.",
        "es_portatil",
    ),
    ("Teléfono sin tono", "El teléfono de mi mesa no da tono.", "es_telefono"),
    ("Licencia caducada", "La licencia del programa de diseño expiró.", "es_licencia"),
]


@pytest.fixture
def categories():
    return {
        key: CategoryFactory(name=key)
        for key in ("net", "hw", "mail", "acc", "sw", "fac", "tel", "sec")
    }


@pytest.fixture
def past(resolve_ticket, categories):
    return {
        key: resolve_ticket(
            title=title,
            description=text,
            summary=summary,
            category=categories[cat],
            close=i % 3 == 0,
        )
        for i, (key, cat, title, text, summary) in enumerate(PAST)
    }


def test_the_right_past_incident_is_in_the_top_three_in_english_and_spanish(past, agent_l1):
    assert sum(1 for key in past if key.startswith("es_")) >= 10
    assert sum(1 for key in past if not key.startswith("es_")) >= 10
    misses = []
    for title, description, expected in QUERIES:
        found = similar_incidents(
            user=agent_l1, query=SimilarQuery(title=title, description=description), limit=3
        )
        if past[expected].pk not in [t.pk for t in found]:
            misses.append((title, [t.title for t in found]))
    assert misses == []


def test_results_carry_the_resolution_summary_and_a_score(past, agent_l1):
    found = similar_incidents(
        user=agent_l1, query=SimilarQuery(title="VPN keeps dropping"), limit=3
    )
    assert found[0].resolution_summary == "Updated the VPN client and lowered the MTU."
    assert found[0].similarity > 0


def test_the_same_category_comes_first(resolve_ticket, categories, agent_l1):
    other = resolve_ticket(
        title="Screen flickers on the docking station",
        description="Flicker all day, the screen flickers.",
        summary="New cable.",
        category=categories["hw"],
    )
    same = resolve_ticket(
        title="Docking station screen",
        description="Second monitor is black.",
        summary="Firmware.",
        category=categories["fac"],
    )
    found = similar_incidents(
        user=agent_l1,
        query=SimilarQuery(
            title="Screen flickers on the docking station", category_id=categories["fac"].pk
        ),
    )
    assert [t.pk for t in found[:2]] == [same.pk, other.pk]
    assert found[0].same_category and not found[1].same_category


def test_open_and_cancelled_tickets_and_the_ticket_itself_are_never_suggested(
    resolve_ticket, categories, make_ticket, requester, agent_l1
):
    resolved = resolve_ticket(
        title="Printer jams",
        description="Paper jam on floor two.",
        summary="Cleaned the rollers.",
        category=categories["hw"],
    )
    make_ticket(Status.IN_DIAGNOSIS, title="Printer jams again")
    cancelled = services.ticket_create(
        requester=requester, title="Printer jams", description="Paper jam.", urgency=Level.LOW
    )
    services.ticket_cancel(ticket=cancelled, actor=agent_l1, code="duplicate")
    found = similar_incidents(
        user=agent_l1, query=SimilarQuery(title="Printer jams on floor two", exclude_id=resolved.pk)
    )
    assert found == []
    found = similar_incidents(user=agent_l1, query=SimilarQuery(title="Printer jams on floor two"))
    assert [t.pk for t in found] == [resolved.pk]


def test_similar_incidents_come_only_from_tickets_the_user_may_read(
    resolve_ticket, categories, agent_l1, agent_l2
):
    at_l1 = resolve_ticket(
        title="VPN tunnel drops",
        description="VPN disconnects.",
        summary="Reinstalled.",
        category=categories["net"],
    )
    query = SimilarQuery(title="VPN disconnects all the time")
    assert [t.pk for t in similar_incidents(user=agent_l1, query=query)] == [at_l1.pk]
    # An L2 agent reads only L2 tickets and their own: the L1 incident is not theirs to see.
    assert similar_incidents(user=agent_l2, query=query) == []


def test_requesters_get_no_similar_incidents(resolve_ticket, categories, make_ticket, requester):
    resolve_ticket(
        title="VPN tunnel drops",
        description="VPN disconnects.",
        summary="Reinstalled.",
        category=categories["net"],
    )
    mine = make_ticket(Status.NEW, title="VPN tunnel drops again")
    assert similar_to_ticket(user=requester, ticket=mine) == []


def test_the_indexes_serve_the_query(past, agent_l1):
    """With sequential scans disabled and the btree indexes on status gone (in a rolled-back
    transaction), PostgreSQL can only find the candidates through our GIN indexes: if a query's
    expressions did not match the indexed ones, its plan would show a Seq Scan."""
    candidate_queries = []

    def capture(execute, sql, params, many, context):
        if "ts_rank" not in sql and ("to_tsquery" in sql or "%%" in sql):  # not the ranking
            candidate_queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        # English first, then Spanish and trigrams as the English stages find too few.
        similar_incidents(
            user=agent_l1,
            query=SimilarQuery(
                title="VPN keeps dropping", description="the tunnel disconnects", category_id=None
            ),
        )
    plans = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("DROP INDEX ticket_status_idx, ticket_queue_idx")
        for sql, params in candidate_queries:
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        transaction.set_rollback(True)
    assert plans
    for plan in plans:
        assert "Seq Scan on tickets_ticket" not in plan
        assert "Index Scan on kb_ticket_" in plan
    used = "\n".join(plans)
    assert "kb_ticket_fts_en_idx" in used
    assert "kb_ticket_fts_es_idx" in used
    assert "kb_ticket_title_trgm_idx" in used


def test_the_fallback_ranks_by_shared_words(past, agent_l1):
    """The SQLite path (no full-text search): shared title words count double."""
    from kb.selectors import _searchable

    found = _similar_fallback(
        base=_searchable(agent_l1),
        query=SimilarQuery(title="printer queue"),
        terms=["printer", "queue", "print"],
        limit=3,
    )
    assert found[0].pk == past["printer"].pk


def test_an_agent_of_another_tier_sees_a_ticket_assigned_to_them(resolve_ticket, categories):
    agent = AgentFactory(username="l3", tier=3)
    ticket = resolve_ticket(
        title="VPN tunnel drops",
        description="VPN disconnects.",
        summary="Reinstalled.",
        category=categories["net"],
    )
    assert similar_incidents(user=agent, query=SimilarQuery(title="VPN tunnel drops")) == []
    assert ticket.pk
