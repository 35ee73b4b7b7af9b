"""Issue 16, item 17: `make run` runs with DEBUG off (friendly 404/403/500 pages, static
files still served); DEBUG only with `make dev`."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]


def _make(target: str) -> str:
    return subprocess.run(  # noqa: S603
        ["make", "-n", target],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHON": sys.executable},
    ).stdout


def test_make_run_keeps_debug_off_and_make_dev_turns_it_on():
    run = _make("run")
    assert "DJANGO_DEBUG=1" not in run
    assert "collectstatic" in run  # WhiteNoise serves STATIC_ROOT when DEBUG is off
    assert "run_all" in run
    dev = _make("dev")
    assert "DJANGO_DEBUG=1" in dev and "run_all" in dev
    assert (
        "dev "
        in subprocess.run(
            ["make", "help"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


# --- the pages themselves (the test settings have DEBUG off, as `make run` now does) -------


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("boom/", _boom)]
handler500 = "helpdesk.middleware.server_error"


@pytest.mark.django_db
def test_a_bad_tracking_link_is_a_friendly_404(client):
    response = client.get("/t/not-a-real-token/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This tracking link does not work" in html
    assert "URLconf" not in html and "Traceback" not in html


@pytest.mark.django_db
def test_a_crash_is_a_friendly_500_page(settings):
    settings.ROOT_URLCONF = __name__
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert 'data-testid="error-page"' in html
    assert "Something went wrong on our side" in html
    assert "a bug" not in html and "Traceback" not in html


def test_the_500_page_renders_in_spanish():
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override("es"):
        html = render_to_string("500.html")
    assert "Algo ha fallado" in html


# --- a real server, started as `make run` starts it ---------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path, transactional_db) -> Iterator[str]:
    port = _free_port()
    settings_dict = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DATABASE_URL": (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}"
            f"/{settings_dict['NAME']}"
        ),
        "DATABASE_POOL": "0",
        "HELPDESK_VAR_DIR": str(tmp_path),
        "PORT": str(port),
    }
    for name in ("DJANGO_DEBUG", "HELPDESK_BASE_URL", "HELPDESK_SITE_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--no-input", "-v0"], env=env, check=True)  # noqa: S603
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(  # noqa: S603
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/static/css/app.css", timeout=1)  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_the_server_make_run_starts_serves_static_files_and_friendly_pages(server):
    status, css = _get(f"{server}/static/css/app.css")
    assert status == 200 and css
    status, html = _get(f"{server}/t/not-a-real-token/")
    assert status == 404
    assert "This tracking link does not work" in html
    assert "URLconf" not in html and "DEBUG = True" not in html
    status, html = _get(f"{server}/no/such/page/")
    assert status == 404 and "DEBUG = True" not in html


@pytest.mark.django_db
def test_a_refusal_is_a_friendly_403(client, requester):
    client.force_login(requester)
    response = client.get("/reports/sla/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You are not allowed to do this" in html and "Traceback" not in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "This form has expired"), ("es", "Este formulario ha caducado")],
)
def test_an_expired_form_says_so_in_the_product_look(make_ticket, requester, language, words):
    """A form whose CSRF token is stale (signed in again in another tab, cookie gone) was
    Django's bare "Forbidden (403) CSRF verification failed" page, in tú Spanish."""
    from tickets.models import Status

    requester.language = language
    requester.save(update_fields=["language"])
    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    response = client.post(f"/tickets/{ticket.pk}/reply/", {"reply-body": "Still broken"})
    assert response.status_code == 403
    body = response.content.decode()
    assert words in body
    assert "CSRF verification" not in body and "verificación CSRF" not in body
    assert 'href="/"' in body  # the product's page, with its way back
    assert not ticket.comments.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Nothing to show here"), ("es", "Aquí no hay nada que mostrar")],
)
def test_a_forms_address_opened_with_a_get_is_a_page_not_a_blank(agent_l1, language, words):
    """A form's address typed or reloaded as a GET (the inbox's "Mark all read") was a blank
    405 page. (The saved-view form's, where this was met, now leads to the console.)"""
    agent_l1.language = language
    agent_l1.save(update_fields=["language"])
    client = Client()
    client.force_login(agent_l1)
    assert client.get("/console/views/")["Location"] == "/console/"
    response = client.get("/notifications/read-all/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    body = response.content.decode()
    assert words in body and 'href="/"' in body
    # The API keeps its own answer.
    assert client.get("/api/notifications/1/read/").status_code == 405


@pytest.mark.django_db
def test_an_expired_form_shows_what_was_typed_to_copy(make_ticket, agent_l1):
    """Signed in again in another tab, an agent sent a long reply: "go Back and copy it", but
    Back brings no text into the reply box (it is autocomplete=off, so a sent reply is not
    offered again). The page shows it to copy; a form from another site (its Origin) never
    puts words on it."""
    from tickets.models import Status

    ticket = make_ticket(Status.IN_DIAGNOSIS)
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_l1)
    sent = {"reply-body": "Half an hour of diagnosis", "idempotency_key": "k1"}
    response = client.post(f"/tickets/{ticket.pk}/reply/", sent, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Half an hour of diagnosis</textarea>" in body
    assert "k1" not in body  # only what was typed
    assert not ticket.comments.exists()

    elsewhere = client.post(
        f"/tickets/{ticket.pk}/reply/", sent, HTTP_ORIGIN="https://evil.example"
    )
    assert elsewhere.status_code == 403
    assert "Half an hour" not in elsewhere.content.decode()
