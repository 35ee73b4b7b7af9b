#!/usr/bin/env python
"""Similar-incident suggestions: p50/p95 of kb.selectors.similar_incidents on a big database.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_kb_bench
    python bench/seed.py 1000000          # the tickets (their titles come from 27 templates)
    python bench/similar.py --rewrite     # once: varied English/Spanish titles, descriptions and
                                          # resolutions (bench/seed.py's are too uniform for FTS)
    python manage.py migrate              # builds the kb GIN indexes (after the rewrite: faster)
    python bench/similar.py               # measure

Each query is a new incident as a requester would write it (title + description, English or
Spanish, from the same vocabulary as the data but a different combination), asked as an L1
agent (reads every ticket) and as an L2 agent (reads only L2 tickets and their own). The first
query plan is printed (EXPLAIN ANALYZE) to show the GIN indexes at work.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DATABASE_POOL", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from kb.selectors import SimilarQuery, similar_incidents  # noqa: E402

EN_THINGS = [
    "VPN client",
    "floor printer",
    "Outlook",
    "laptop",
    "docking station",
    "Wi-Fi",
    "ERP report",
    "badge reader",
    "Teams",
    "shared drive",
    "MFA app",
    "second monitor",
    "keyboard",
    "SharePoint site",
    "Excel",
    "browser",
    "CRM",
    "payroll app",
    "SAP GUI",
    "Jira board",
    "desk phone",
    "mobile email",
    "webcam",
    "headset",
    "projector",
    "password manager",
    "antivirus",
    "file server",
    "intranet",
    "timesheet app",
    "scanner",
    "OneDrive sync",
    "Zoom room",
    "calendar",
    "mailbox",
    "remote desktop",
    "Citrix session",
    "Power BI dashboard",
    "expense tool",
    "USB port",
]
EN_PROBLEMS = [
    "does not start",
    "keeps crashing",
    "is very slow",
    "disconnects every few minutes",
    "shows an error",
    "keeps asking for my password",
    "cannot connect",
    "freezes",
    "is not syncing",
    "stopped working after the update",
    "gives access denied",
    "times out",
    "prints blank pages",
    "has no sound",
    "flickers",
    "is locked",
    "does not recognise my badge",
    "cannot open attachments",
    "lost my settings",
    "shows a certificate warning",
]
EN_CONTEXT = [
    "",
    "",
    "",
    " since Monday",
    " after the update",
    " at the branch office",
    " from home",
    " for the whole team",
    " again",
    " in meeting room 4",
    " on the new laptop",
    " this morning",
]
EN_SENTENCES = [
    "It started {when} and happens every time I try.",
    "I already restarted the {thing} twice.",
    "Colleagues next to me have the same problem with the {thing}.",
    "The message says error {code}.",
    "This blocks my work on the {other}.",
    "I tried another network and it is the same.",
    "Please call me when you can.",
    "It worked fine until {when}.",
]
EN_FIXES = [
    "Reinstalled the {thing} and cleared its cache.",
    "Reset the user's profile for the {thing}; working again.",
    "Updated the {thing} to the latest version and rebooted.",
    "Renewed the expired certificate used by the {thing}.",
    "Re-registered the device and synced the {thing} settings.",
    "Restarted the service behind the {thing} on the server.",
    "Replaced the cable and the {thing} works.",
    "Granted the missing permission for the {thing}.",
]
ES_THINGS = [
    "cliente VPN",
    "impresora de la planta",
    "Outlook",
    "portátil",
    "base de conexión",
    "wifi",
    "informe del ERP",
    "lector de tarjetas",
    "Teams",
    "unidad compartida",
    "aplicación MFA",
    "segundo monitor",
    "teclado",
    "sitio de SharePoint",
    "Excel",
    "navegador",
    "CRM",
    "aplicación de nóminas",
    "SAP",
    "tablero de Jira",
    "teléfono fijo",
    "correo del móvil",
    "cámara web",
    "auriculares",
    "proyector",
    "gestor de contraseñas",
    "antivirus",
    "servidor de ficheros",
    "intranet",
    "aplicación de fichajes",
    "escáner",
    "sincronización de OneDrive",
    "sala de Zoom",
    "calendario",
    "buzón",
    "escritorio remoto",
    "sesión de Citrix",
    "panel de Power BI",
    "herramienta de gastos",
    "puerto USB",
]
ES_PROBLEMS = [
    "no arranca",
    "se cierra continuamente",
    "va muy lento",
    "se desconecta cada pocos minutos",
    "muestra un error",
    "pide la contraseña constantemente",
    "no conecta",
    "se congela",
    "no sincroniza",
    "dejó de funcionar tras la actualización",
    "da acceso denegado",
    "agota el tiempo de espera",
    "imprime páginas en blanco",
    "no tiene sonido",
    "parpadea",
    "está bloqueado",
    "no reconoce mi tarjeta",
    "no abre los adjuntos",
    "perdió la configuración",
    "muestra un aviso de certificado",
]
ES_CONTEXT = [
    "",
    "",
    "",
    " desde el lunes",
    " tras la actualización",
    " en la oficina de la sucursal",
    " desde casa",
    " para todo el equipo",
    " otra vez",
    " en la sala 4",
    " en el portátil nuevo",
    " esta mañana",
]
ES_SENTENCES = [
    "Empezó {when} y pasa cada vez que lo intento.",
    "Ya he reiniciado el {thing} dos veces.",
    "Mis compañeros tienen el mismo problema con el {thing}.",
    "El mensaje dice error {code}.",
    "Esto bloquea mi trabajo con el {other}.",
    "He probado otra red y sigue igual.",
    "Por favor, llamadme cuando podáis.",
    "Funcionaba bien hasta {when}.",
]
ES_FIXES = [
    "Se reinstaló el {thing} y se borró su caché.",
    "Se restableció el perfil del usuario en el {thing}; funciona de nuevo.",
    "Se actualizó el {thing} a la última versión y se reinició.",
    "Se renovó el certificado caducado que usa el {thing}.",
    "Se volvió a registrar el dispositivo y se sincronizó la configuración del {thing}.",
    "Se reinició el servicio del {thing} en el servidor.",
    "Se cambió el cable y el {thing} funciona.",
    "Se concedió el permiso que faltaba para el {thing}.",
]
WHEN_EN = ["yesterday", "this morning", "last week", "after lunch", "on Friday"]
WHEN_ES = ["ayer", "esta mañana", "la semana pasada", "después de comer", "el viernes"]


def ticket_text(rnd: random.Random) -> tuple[str, str, str]:
    """(title, description, resolution) in English (60 %) or Spanish (40 %)."""
    spanish = rnd.random() < 0.4
    things, problems, context, sentences, fixes, when = (
        (ES_THINGS, ES_PROBLEMS, ES_CONTEXT, ES_SENTENCES, ES_FIXES, WHEN_ES)
        if spanish
        else (EN_THINGS, EN_PROBLEMS, EN_CONTEXT, EN_SENTENCES, EN_FIXES, WHEN_EN)
    )
    thing, other = rnd.sample(things, 2)
    title = f"{thing[0].upper()}{thing[1:]} {rnd.choice(problems)}{rnd.choice(context)}"
    words = {"thing": thing, "other": other, "code": f"0x{rnd.randrange(16**6):06X}"}
    description = " ".join(
        s.format(when=rnd.choice(when), **words) for s in rnd.sample(sentences, rnd.randint(2, 4))
    )
    return title, description, rnd.choice(fixes).format(**words)


def _pg_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def rewrite(batch: int = 100_000) -> None:
    """Give every ticket a varied title, description and (resolved/closed) resolution, in SQL:
    a pool of generated texts, each row picking one at random."""
    rnd = random.Random(42)
    pool = [ticket_text(rnd) for _ in range(20_000)]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_text_pool")
        cursor.execute(
            "CREATE UNLOGGED TABLE bench_text_pool (n int primary key, title text, description text, summary text)"
        )
        with cursor.cursor.copy("COPY bench_text_pool FROM STDIN") as copy:  # type: ignore[attr-defined]
            for n, (title, description, summary) in enumerate(pool):
                copy.write_row((n, title, description, summary))
        cursor.execute("SELECT min(id), max(id) FROM tickets_ticket")
        low, high = cursor.fetchone()
    started = time.perf_counter()
    for start in range(low, high + 1, batch):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE tickets_ticket t SET title = p.title, description = p.description,
                    resolution_summary = CASE WHEN t.resolution_summary <> '' THEN p.summary ELSE '' END
                FROM bench_text_pool p
                WHERE t.id >= %s AND t.id < %s AND p.n = (t.id * 7919) %% %s
                """,
                [start, start + batch, len(pool)],
            )
        print(
            f"  rewrote ids < {start + batch}  ({time.perf_counter() - started:.0f}s)", flush=True
        )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_text_pool")
        cursor.execute("VACUUM ANALYZE tickets_ticket")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(queries: int) -> None:
    rnd = random.Random(7)
    users = {
        "L1 agent (reads all)": User.objects.get(username="bench-l1-01"),
        "L2 agent (own tier)": User.objects.get(username="bench-l2-01"),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN ('resolved','closed') AND resolution_summary <> '') FROM tickets_ticket"
        )
        total, searchable = cursor.fetchone()
        cursor.execute("SELECT id FROM tickets_category WHERE parent_id IS NOT NULL")
        categories = [row[0] for row in cursor.fetchall()]
    print(
        f"database: {connection.settings_dict['NAME']}, {total} tickets, {searchable} resolved with a summary"
    )
    samples = [ticket_text(rnd)[:2] for _ in range(queries)]
    category_of = [rnd.choice(categories) for _ in range(queries)]

    sql_seen: list[tuple[str, object]] = []

    def capture(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        if not sql_seen and "to_tsquery" in sql:
            sql_seen.append((sql, params))
        return execute(sql, params, many, context)

    for label, user in users.items():
        # Warm-up (caches, plans), not measured.
        for title, description in samples[:20]:
            similar_incidents(user=user, query=SimilarQuery(title=title, description=description))
        timings, found = [], 0
        for (title, description), category_id in zip(samples, category_of, strict=True):
            query = SimilarQuery(title=title, description=description, category_id=category_id)
            with connection.execute_wrapper(capture):
                start = time.perf_counter()
                result = similar_incidents(user=user, query=query)
                timings.append((time.perf_counter() - start) * 1000)
            found += bool(result)
        print(
            f"{label:22s} n={len(timings)}  p50={percentile(timings, 50):6.1f} ms  "
            f"p95={percentile(timings, 95):6.1f} ms  max={max(timings):6.1f} ms  "
            f"with suggestions: {100 * found / len(timings):.0f} %"
        )
    if sql_seen:
        sql, params = sql_seen[0]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print("\nplan of one query:\n" + plan)
        uses = [
            name
            for name in ("kb_ticket_fts_en_idx", "kb_ticket_fts_es_idx", "kb_ticket_title_trgm_idx")
            if name in plan
        ]
        print("\nindexes used:", ", ".join(uses) or "NONE")
        assert "Seq Scan on tickets_ticket" not in plan, "a sequential scan of tickets"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rewrite", action="store_true", help="rewrite the tickets' text first")
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    if args.rewrite:
        rewrite()
        return
    measure(args.queries)


if __name__ == "__main__":
    main()
