"""deploy/nginx.conf (docker-compose's proxy) rendered for loopback gunicorn processes
(ops/loopback.py): what the topology test and `bench/api.py --web N` run."""

import re
import shutil
import subprocess

import pytest

from ops.loopback import NGINX_CONF, nginx_command, nginx_config

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def test_the_upstream_and_listen_lines_are_replaced_and_everything_else_kept(tmp_path):
    conf = nginx_config(directory=tmp_path, port=8123, upstreams=[9001, 9002, 9003])

    assert "web:8000" not in conf and "listen 80;" not in conf
    assert re.findall(r"server 127\.0\.0\.1:(\d+);", conf) == ["9001", "9002", "9003"]
    assert "listen 127.0.0.1:8123;" in conf
    assert f"pid {tmp_path / 'nginx.pid'};" in conf and "daemon off;" in conf
    for line in NGINX_CONF.read_text().splitlines():  # the site's own lines, all of them
        if "web:8000" not in line and "listen 80;" not in line:
            assert line in conf


def test_a_changed_deploy_file_is_refused_rather_than_rendered_wrongly(tmp_path, monkeypatch):
    changed = tmp_path / "nginx.conf"
    changed.write_text(NGINX_CONF.read_text().replace("server web:8000;", "server app:8000;"))
    monkeypatch.setattr("ops.loopback.NGINX_CONF", changed)

    with pytest.raises(ValueError, match="web:8000"):
        nginx_config(directory=tmp_path, port=8123, upstreams=[9001])


def test_nginx_drops_idle_upstream_connections_before_gunicorn_closes_them():
    # Otherwise nginx may send a request on a connection gunicorn is closing: a 502 for a POST.
    nginx = re.search(r"keepalive_timeout (\d+)s;", NGINX_CONF.read_text())
    gunicorn = re.search(
        r'GUNICORN_KEEPALIVE", "(\d+)"', (NGINX_CONF.parent.parent / "gunicorn.conf.py").read_text()
    )
    assert nginx is not None and gunicorn is not None
    assert int(nginx.group(1)) < int(gunicorn.group(1))


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    if shutil.which(NGINX) is None:
        pytest.skip("nginx is not installed")
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(directory=tmp_path, port=8123, upstreams=[9001, 9002]))

    checked = subprocess.run(  # noqa: S603
        [*nginx_command(NGINX, directory=tmp_path, conf=conf), "-t"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
