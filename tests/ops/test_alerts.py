"""docs/alerts.yml is a valid Prometheus rule file whose alerts fire when they should
(promtool's unit tests in docs/alerts.test.yml), and docs/alertmanager.yml a valid
Alertmanager configuration (amtool)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

DOCS = Path(settings.BASE_DIR) / "docs"


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: apt-get install prometheus / alertmanager)")
    return path


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_are_valid():
    _run(_tool("promtool"), "check", "rules", str(DOCS / "alerts.yml"))


def test_the_alerts_fire_when_the_sweep_lags_the_outbox_grows_or_the_sweep_stops():
    _run(_tool("promtool"), "test", "rules", str(DOCS / "alerts.test.yml"))


def test_the_sample_alertmanager_configuration_is_valid():
    _run(_tool("amtool"), "check-config", str(DOCS / "alertmanager.yml"))
