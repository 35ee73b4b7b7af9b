"""The servers the benchmarks talk to, started and stopped the same way by each of them:
gunicorn with the shipped gunicorn.conf.py on a free loopback port (start_gunicorn), or N of
them behind nginx (start_servers), each returned once it answers; a signed-in page session made
in the session store (agent_session); the CPU the server processes used (server_cpu_seconds) and
PostgreSQL's processes (postgres_cpu_by_pid).

Used by bench/api.py, bench/load.py and bench/ui.py --server. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON_BIN = Path(sys.executable).parent
SERVER_ENV = dict(os.environ)  # what gunicorn gets (before the importing script's own tweaks)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """One keep-alive connection (http.client reconnects when the server closes it)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Accept": "application/json", "Host": f"127.0.0.1:{port}"}
        self.cookies: dict[str, str] = {}
        if token:
            self.headers["Authorization"] = f"Token {token}"

    def request(
        self, method: str, path: str, body: dict | None = None, *, form: bool = False
    ) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None and form:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            if self.cookies:
                self.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # the next request reconnects
            raise

    def close(self) -> None:
        self.conn.close()


def agent_session(username: str) -> str:
    """A signed-in session of `username` made in the session store (no password hashing)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


def start_gunicorn(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(SERVER_ENV)
    env.pop("DJANGO_DEBUG", None)
    env["DJANGO_ALLOWED_HOSTS"] = "*"
    env.setdefault("CELERY_BROKER_URL", args.broker)
    env.setdefault("HELPDESK_LOG_LEVEL", "WARNING")
    env["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    for key, value in getattr(args, "server_env", {}).items():
        env.setdefault(key, value)
    env.pop("GUNICORN_ACCESSLOG", None)
    gunicorn = shutil.which("gunicorn", path=str(PYTHON_BIN)) or "gunicorn"
    cmd = [
        gunicorn,
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "helpdesk.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        str(log_path),
        "--log-level",
        "warning",
    ]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.worker_class:
        cmd += ["--worker-class", args.worker_class]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    return _answering(spawn(cmd, env), port=port, name="gunicorn", timeout=60, log=str(log_path))


def spawn(cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    """`cmd` from the project root in its own session (Ctrl-C reaches the bench only, which
    stops it; os.killpg ends it and its children), its output discarded (it logs to a file)."""
    print("starting:", " ".join(cmd))
    return subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _answering(
    process: subprocess.Popen, *, port: int, name: str, timeout: float, log: str
) -> subprocess.Popen:
    """`process` once /api/me/ on `port` answers (401/403: the app is up, nobody signed in)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited ({process.returncode}); see {log}")
        try:
            status, _ = Client(port).request("GET", "/api/me/")
            if status in (401, 403):
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{name} did not answer within {timeout:g} s")


def start_nginx(upstreams: list[int], port: int, directory: Path) -> subprocess.Popen:
    """deploy/nginx.conf on 127.0.0.1:port in front of gunicorn on `upstreams` (ops/loopback.py,
    as tests/faults/test_topology.py runs it)."""
    from ops.loopback import nginx_command, nginx_config

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    conf = directory / "nginx.conf"
    conf.write_text(nginx_config(directory=directory, port=port, upstreams=upstreams))
    command = nginx_command(nginx, directory=directory, conf=conf)
    print("starting:", " ".join(command))
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
    )
    return _answering(process, port=port, name="nginx", timeout=20, log=f"{directory}/error.log")


def start_servers(
    args: argparse.Namespace, log_dir: Path, processes: list[subprocess.Popen]
) -> int:
    """gunicorn on a free port, or with --web N, N gunicorn processes behind nginx; appends
    what it started to `processes` and returns the port the clients use."""
    if not args.web:
        port = free_port()
        processes.append(start_gunicorn(args, port, log_dir / "gunicorn.log"))
        return port
    upstreams = [free_port() for _ in range(args.web)]
    for n, upstream in enumerate(upstreams, 1):
        processes.append(start_gunicorn(args, upstream, log_dir / f"gunicorn-{n}.log"))
    port = free_port()
    processes.append(start_nginx(upstreams, port, log_dir))
    return port


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only the master and workers
        process.wait()


def stop_servers(processes: list[subprocess.Popen], log_dir: Path) -> None:
    """Stop what start_servers started (nginx first), then show the end of any gunicorn log that
    has a traceback."""
    for process in reversed(processes):
        stop_gunicorn(process)  # nginx too: SIGTERM, then its session killed
    print(f"servers stopped; logs: {log_dir}")
    for log_path in sorted(log_dir.glob("gunicorn*.log")):
        errors = log_path.read_text(errors="replace")
        if "Traceback" in errors:
            print(
                f"{log_path.name} has tracebacks; last lines:\n"
                + "\n".join(errors.splitlines()[-30:])
            )


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` and of its children, live or already reaped
    (a gunicorn master and its workers): psutil when installed, else /proc/<pid>/stat."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            master = psutil.Process(pid)
            total = 0.0
            for process in [master, *master.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = process.cpu_times()
                    total += times.user + times.system + times.children_user
                    total += times.children_system
            return total
        except psutil.NoSuchProcess:
            return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The fields after the command's ")": state, ppid, … utime, stime, cutime, cstime.
                stats[int(entry.name)] = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue  # gone meanwhile
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in stats:
            tree.append(current)
            todo += [child for child, fields in stats.items() if int(fields[1]) == current]
    return sum(sum(int(x) for x in stats[p][11:15]) for p in tree) / tick


def postgres_cpu_by_pid(database: str = "") -> dict[int, float]:
    """User + system CPU seconds of each live PostgreSQL process on this host, read from /proc:
    its background processes and the backends of `database` (all backends when empty). Subtract
    two readings pid by pid: a backend that ends between them must not count as negative."""
    tick = os.sysconf("SC_CLK_TCK")
    seconds: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # gone meanwhile
        # A backend's title is "postgres: <user> <database> <client> <state>".
        words = title.split()
        if database and len(words) >= 4 and "(" in words[3] and words[2] != database:
            continue  # another database's backend (another session's tests, say)
        seconds[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    return seconds
