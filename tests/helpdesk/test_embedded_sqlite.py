"""The embedded default (`make run`: SQLite) answers the API with a real token. The rest of the
suite runs on PostgreSQL, whose driver returns what the ORM's converters return on SQLite (aware
datetimes, booleans), so a raw query that skips the converters passes there and fails here."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_api_with_a_token_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'helpdesk.sqlite3'}",
        "HELPDESK_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    }
    env.pop("HELPDESK_CACHE_URL", None)
    finished = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "tests" / "helpdesk" / "sqlite_api_smoke.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    results = json.loads(finished.stdout.strip().splitlines()[-1])
    assert results == {
        "me": 200,
        "create": 201,
        "list": 200,
        "dashboard": 200,
        "detail": 200,
        "bad token": 401,
        "policy at 2**40": 400,
        "group of a 20-digit member": 400,
        "admin action on a 20-digit id": 200,
    }


def test_the_filesystem_broker_keeps_its_files_under_the_var_dir(tmp_path):
    """kombu's filesystem transport writes its exchange bindings to ./control by default: in
    the source tree, where `make run` left control/sweeps.exchange untracked (and two binding
    files were committed). A task sent through it now leaves the tree as it was."""
    env = {
        **os.environ,
        "HELPDESK_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    }
    env.pop("CELERY_BROKER_URL", None)
    script = (
        "import django; django.setup()\n"
        "from helpdesk.celery import app\n"
        "with app.connection_for_write() as conn:\n"
        "    app.send_task('ops.ping', connection=conn, queue='sweeps')\n"
        "    app.send_task('ops.ping', connection=conn)\n"
    )
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    finished = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert sorted(p.name for p in (tmp_path / "celery-control").iterdir()) == [
        "celery.exchange",
        "sweeps.exchange",
    ]
    assert list(cwd.iterdir()) == []
    assert not (ROOT / "control").exists()
