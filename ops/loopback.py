"""docker-compose's scaled topology on one machine without Docker: deploy/nginx.conf (the proxy
in front of the web processes) rendered for gunicorn processes on loopback ports.

Used by tests/faults/test_topology.py and `bench/api.py --web N`. Standard library only.
"""

import os
from pathlib import Path

NGINX_CONF = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
_UPSTREAM = "    server web:8000;\n"
_LISTEN = "    listen 80;\n"


def nginx_config(*, directory: Path, port: int, upstreams: list[int]) -> str:
    """A whole nginx.conf (run as `nginx -p DIR -c FILE -e DIR/error.log`, in the foreground)
    that keeps its pid, logs and temporary files in `directory`, listens on 127.0.0.1:`port` and
    balances over gunicorn on 127.0.0.1:`upstreams` — deploy/nginx.conf's `server` block as is,
    only `web:8000` and the listen line replaced."""
    site = NGINX_CONF.read_text()
    if site.count(_UPSTREAM) != 1 or site.count(_LISTEN) != 1:
        raise ValueError(f"{NGINX_CONF} no longer has one `{_UPSTREAM.strip()}` and `listen 80;`")
    servers = "".join(f"    server 127.0.0.1:{upstream};\n" for upstream in upstreams)
    site = site.replace(_UPSTREAM, servers).replace(_LISTEN, f"    listen 127.0.0.1:{port};\n")
    temp = "".join(
        f"    {kind}_temp_path {directory / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root nginx's workers would switch to `nobody`, who may not write to `directory`.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n    access_log {directory / 'access.log'};\n{temp}{site}}}\n"
    )


def nginx_command(nginx: str, *, directory: Path, conf: Path) -> list[str]:
    """The command line that runs `conf` with every path in `directory` (`-e`: the error log
    before the configuration is read, instead of /var/log/nginx)."""
    return [nginx, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")]
