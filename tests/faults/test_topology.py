"""The scaled topology of docker-compose without Docker (issue 20, item 6): nginx with the
committed deploy/nginx.conf in front of three gunicorn processes on loopback, two Celery workers
and one beat, all real processes on this test's database and a private Redis (broker and shared
cache), sharing one HELPDESK_VAR_DIR (the media volume).

Through the proxy a requester signs in and files a ticket with an attachment, an agent triages,
takes, replies and resolves it; nginx's round-robin spreads those requests over the three
processes (X-Served-By names the one that answered): the session holds on each of them and the
attachment uploaded to one is downloaded from another. Meanwhile a ticket whose resolution target
passed long ago (created in the past) is swept by beat every second and by extra sweeps published
at once to both workers: its breach is recorded, notified and escalated exactly once.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import time_machine
from django.conf import global_settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from notifications.models import Notification
from notifications.services import _headers
from ops.loopback import nginx_command, nginx_config
from sla.models import SlaEvent, SlaEventKind
from sla.tasks import sweep_sla
from tests.faults.conftest import ROOT, _free_port, celery_env, celery_process, poll, stop
from tickets.models import Attachment, Status, Ticket, TicketEvent

pytestmark = [
    # Real processes (gunicorn, celery, beat, nginx, redis): one at a time on one xdist worker, so
    # two such tests never starve each other's start-up on a 2-core machine.
    pytest.mark.xdist_group("processes"),
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
WEB_PROCESSES = 3
# docker-compose's web command (gunicorn.conf.py: gthread, keep-alive) with one worker each.
WEB_OPTIONS = ["--config", "gunicorn.conf.py", "--workers", "1", "--threads", "2"]
PASSWORD = "topology-pass-123"
UPLOAD = b"%PDF-1.4 the quarterly report that will not print\n" * 200  # ~10 KB, a temp file


@contextmanager
def running(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[None]:
    """A server process, its output in `log`; terminated (then killed) on the way out."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield
        finally:
            stop(process, timeout=20)


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def warm_up(base: str) -> None:
    """Wait until gunicorn answers, then ask for a page that loads the whole app."""
    poll(f"gunicorn at {base}", lambda: answers(f"{base}/healthz"), 45)
    assert requests.get(f"{base}/accounts/login/", timeout=60).status_code == 200


class Browser:
    """A requests session through the proxy that remembers which process served each answer."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.session = requests.Session()
        self.served_by: list[str] = []

    def _keep(self, response: requests.Response) -> requests.Response:
        assert response.status_code < 500, response.text[:2000]
        self.served_by.append(response.headers["X-Served-By"])
        return response

    def get(self, path: str) -> requests.Response:
        return self._keep(self.session.get(self.base + path, allow_redirects=False, timeout=30))

    def post(self, path: str, data: dict[str, object], **kwargs: object) -> requests.Response:
        form = {**data, "csrfmiddlewaretoken": self.session.cookies["csrftoken"]}
        response = self.session.post(
            self.base + path, data=form, allow_redirects=False, timeout=30, **kwargs
        )
        return self._keep(response)

    def sign_in(self, username: str) -> None:
        assert self.get("/accounts/login/").status_code == 200
        signed_in = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert signed_in.status_code == 302, signed_in.text[:2000]


def _sweeps_run(log: Path) -> int:
    return len(re.findall(r"sla\.tasks\.sweep_sla\[[^\]]+\] succeeded", log.read_text()))


def _past_due(*, make_ticket) -> Ticket:  # type: ignore[no-untyped-def]
    """Taken by agent_l1 thirty days ago and never resolved: every target has passed."""
    with time_machine.travel(timezone.now() - timedelta(days=30), tick=False):
        return make_ticket(Status.IN_DIAGNOSIS, title="Printer on fire since last month")


def test_three_web_processes_two_workers_one_beat_behind_nginx(
    broker_on, requester, agent_l1, category, make_ticket, settings, tmp_path
):
    if not os.access(NGINX, os.X_OK):
        pytest.skip("nginx is not installed")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # what gunicorn checks with
    for user in (requester, agent_l1):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    overdue = _past_due(make_ticket=make_ticket)
    assert not SlaEvent.objects.filter(ticket=overdue).exists()

    var = tmp_path / "var"  # HELPDESK_VAR_DIR of every process: one media directory
    var.mkdir()
    sent_log = tmp_path / "sent.log"
    env = celery_env(
        broker_url=broker_on.url,
        var_dir=var,
        HELPDESK_CACHE_URL=broker_on.url.removesuffix("/0") + "/1",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        HELPDESK_TRUSTED_PROXIES="1",
        HELPDESK_SLA_SWEEP_SECONDS="1",
        HELPDESK_LOG_LEVEL="WARNING",
        EMAIL_BACKEND="tests.faults.slow_mail.SlowBackend",
        SLOW_MAIL_SECONDS="0",
        SLOW_MAIL_LOG=str(sent_log),
    )
    env.pop("DJANGO_DEBUG", None)
    web_ports = [_free_port() for _ in range(WEB_PROCESSES)]
    proxy_port = _free_port()
    proxy_dir = tmp_path / "nginx"
    proxy_dir.mkdir()
    conf = proxy_dir / "nginx.conf"
    conf.write_text(nginx_config(directory=proxy_dir, port=proxy_port, upstreams=web_ports))
    worker = [
        "worker",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
    ]
    worker_logs = [tmp_path / f"worker-{n}.log" for n in (1, 2)]

    with ExitStack() as stack:
        for n, port in enumerate(web_ports, 1):
            gunicorn = [sys.executable, "-m", "gunicorn", "helpdesk.wsgi", *WEB_OPTIONS]
            gunicorn += ["--bind", f"127.0.0.1:{port}", "--no-control-socket"]
            stack.enter_context(running(gunicorn, env=env, log=tmp_path / f"web-{n}.log"))
        for n, log in enumerate(worker_logs, 1):
            arguments = [*worker, "--hostname", f"topology-{n}@%h"]
            stack.enter_context(celery_process(arguments, env=env, log=log))
        beat = ["beat", "--loglevel=INFO", "-s", str(tmp_path / "beat-schedule")]
        stack.enter_context(celery_process(beat, env=env, log=tmp_path / "beat.log"))
        nginx = nginx_command(NGINX, directory=proxy_dir, conf=conf)
        stack.enter_context(running(nginx, env=env, log=proxy_dir / "stdout.log"))
        # Each process's first page loads the URLs, views and templates: all three at once.
        with ThreadPoolExecutor(WEB_PROCESSES) as warming:
            warm = [warming.submit(warm_up, f"http://127.0.0.1:{p}") for p in web_ports]
            for future in warm:
                future.result()
        base = f"http://127.0.0.1:{proxy_port}"
        poll("nginx", lambda: answers(f"{base}/healthz"), 10)

        # Several sweeps at the same instant, on both workers, over the same overdue clocks.
        for _ in range(4):
            sweep_sla.delay()

        # The requester signs in and files a ticket with an attachment.
        person = Browser(base)
        person.sign_in(requester.username)
        for _ in range(WEB_PROCESSES):  # the session holds on every process
            assert person.get("/my/").status_code == 200
        assert len(set(person.served_by[-WEB_PROCESSES:])) == WEB_PROCESSES
        assert person.get("/new/").status_code == 200
        filed = person.post(
            "/new/",
            {
                "title": "The printer does not print the report",
                "description": "Attached: the report it refuses.",
                "urgency": "medium",
                "category": category.pk,
            },
            files={"attachments": ("report.pdf", UPLOAD, "application/pdf")},
        )
        assert filed.status_code == 302, filed.text[:2000]
        uploaded_by = person.served_by[-1]
        ticket = Ticket.objects.get(title="The printer does not print the report")
        attachment = Attachment.objects.get(ticket=ticket)
        assert (var / "media" / attachment.file.name).read_bytes() == UPLOAD

        # The agent works it, request after request on a different process.
        agent = Browser(base)
        agent.sign_in(agent_l1.username)
        page = f"/tickets/{ticket.pk}"
        assert agent.get(f"{page}/").status_code == 200
        steps = [
            ("triage", {"triage-kind": "incident", "triage-category": category.pk,
                        "triage-impact": "low", "triage-urgency": "medium"}),
            ("take", {}),
        ]  # fmt: skip
        for name, form in steps:
            done = agent.post(f"{page}/do/{name}/", form)
            assert done.status_code == 302, (name, done.text[:2000])
        replied = agent.post(f"{page}/reply/", {"reply-body": "Printing it from another tray."})
        assert replied.status_code == 302, replied.text[:2000]
        resolved = agent.post(
            f"{page}/do/resolve/",
            {"resolve-summary": "Tray 2 was jammed.", "resolve-code": "fixed"},
        )
        assert resolved.status_code == 302, resolved.text[:2000]
        ticket.refresh_from_db()
        assert ticket.status == Status.RESOLVED and ticket.assignee == agent_l1
        assert len(set(agent.served_by)) == WEB_PROCESSES

        # The file uploaded to one process, downloaded from the others, by both of them.
        download = f"{page}/files/{attachment.pk}/"
        for browser in (person, agent):
            for _ in range(WEB_PROCESSES):
                got = browser.get(download)
                assert got.status_code == 200 and got.content == UPLOAD
        downloads_from = {
            served for browser in (person, agent) for served in browser.served_by[-WEB_PROCESSES:]
        }
        assert downloads_from - {uploaded_by}
        assert set(person.served_by) | set(agent.served_by) == {
            f"127.0.0.1:{port}" for port in web_ports
        }
        person_sees = person.get(f"{page}/")
        assert "Printing it from another tray." in person_sees.text

        # The overdue ticket: swept by both workers, its breach acted on once.
        poll(
            "the breach and its effects",
            lambda: (
                SlaEvent.objects.filter(ticket=overdue, kind=SlaEventKind.BREACH).exists()
                and not SlaEvent.objects.filter(applied_at=None).exists()
                and not Notification.objects.exclude(status="sent").exists()
            ),
            timeout=30,
        )

        # Sweeps ran on both workers, and more of them than the one that recorded the breach.
        def swept_on_both() -> bool:
            if (
                min(_sweeps_run(log) for log in worker_logs) >= 2
                and sum(_sweeps_run(log) for log in worker_logs) >= 6
            ):
                return True
            # Beat sends the SLA and the OLA sweep each second: the two workers taking turns can
            # keep every SLA sweep on one of them. Extra ones reach the other.
            sweep_sla.delay()
            return False

        poll("sweeps on both workers", swept_on_both, timeout=30)

    breaches = SlaEvent.objects.filter(ticket=overdue, kind=SlaEventKind.BREACH)
    metrics = Counter(breaches.values_list("metric", "cycle"))
    assert metrics and set(metrics.values()) == {1}, metrics
    assert Notification.objects.filter(ticket=overdue, kind="sla_breach").count() == len(metrics)
    assert TicketEvent.objects.filter(ticket=overdue, transition="escalate_for_breach").count() == 1
    duplicated_mail = (
        Notification.objects.values("kind", "ticket", "recipient", "context")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not duplicated_mail.exists()
    rows = list(Notification.objects.select_related("recipient", "ticket"))
    assert Counter(sent_log.read_text().split()) == Counter(
        _headers(row)["Message-ID"] for row in rows
    ), "each email sent once"
