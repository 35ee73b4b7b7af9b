"""The web server of `make run` (helpdesk/demo_server.py): a connection that goes silent is
closed after the time limit, so it no longer holds a thread of the server forever; a slow
answer is not cut."""

import os
import signal
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.core.servers.basehttp import WSGIRequestHandler

from helpdesk.demo_server import DemoWSGIServer, RunserverCommand
from helpdesk.management.commands import run_all

# The connections' time limit in these tests (seconds): short, yet long enough that a loaded
# machine's pause between a test's two requests on one connection does not reach it.
LIMIT = 1.0


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/slow":
        time.sleep(2 * LIMIT)  # the view works longer than the limit: the socket is not used
    body = b"ok"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [body]


@pytest.fixture
def server() -> Iterator[tuple[str, int]]:
    server_class = type(
        "Server", (socketserver.ThreadingMixIn, DemoWSGIServer), {"daemon_threads": True}
    )
    httpd = server_class(("127.0.0.1", 0), WSGIRequestHandler)
    httpd.connection_timeout = LIMIT
    httpd.set_app(_app)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd.server_address[:2]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes the connection (EOF) within a few times the limit."""
    sock.settimeout(10 * LIMIT)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    return True


def _get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()


def _response(sock: socket.socket) -> bytes:
    """One whole response (its headers, then Content-Length bytes of body): the server may
    write the status line and the headers in separate packets, so one recv() can hold only
    the first of them, and the next request's recv() would then read the rest of this one."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, data  # the server closed the connection mid-response
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, data
        body += chunk
    return head + b"\r\n\r\n" + body


def test_an_idle_keep_alive_connection_is_closed(server, capsys):
    with socket.create_connection(server) as sock:
        sock.sendall(_get("/"))
        sock.settimeout(5)
        assert _response(sock).startswith(b"HTTP/1.1 200 OK")
        # The browser keeps the connection for its next request and sends nothing: the server
        # closes it (it held a thread blocked in a read for as long as the browser ran).
        assert _closed_by_server(sock)
    assert "Traceback" not in capsys.readouterr().err  # a timeout is no error of the app


def test_a_request_that_never_arrives_whole_is_dropped(server):
    with socket.create_connection(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")  # the blank line never comes
        assert _closed_by_server(sock)


def test_a_slow_answer_is_not_cut_and_the_connection_serves_the_next_request(server):
    with socket.create_connection(server) as sock:
        sock.settimeout(5)
        sock.sendall(_get("/slow"))
        assert _response(sock).startswith(b"HTTP/1.1 200 OK")
        sock.sendall(_get("/"))
        assert _response(sock).startswith(b"HTTP/1.1 200 OK")


def test_run_all_serves_with_the_demo_server():
    assert RunserverCommand.server_cls is DemoWSGIServer
    with (
        mock.patch.object(run_all.subprocess, "Popen") as popen,
        mock.patch.object(run_all, "call_command") as call,
    ):
        run_all.Command().handle(host="127.0.0.1", port="8000")
    assert isinstance(call.call_args.args[0], RunserverCommand)
    assert call.call_args.args[1] == "127.0.0.1:8000"
    assert popen.call_count == 2  # the worker and beat, stopped when the server returns


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_run_all_stops_the_worker_and_beat_on_sigterm_and_sighup(number):
    """`kill` or a closed terminal ended the web server alone: the worker and beat ran on."""
    unhandled: list[int] = []  # stands in for the default action (which ends the process)
    original = signal.signal(number, lambda signum, frame: unhandled.append(signum))

    def serve(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), number)  # arrives while the web server runs
        time.sleep(3)  # not reached: the signal stops the server at once

    try:
        with (
            mock.patch.object(run_all.subprocess, "Popen") as popen,
            mock.patch.object(run_all, "call_command", side_effect=serve),
        ):
            started = time.monotonic()
            run_all.Command().handle(host="127.0.0.1", port="8000")
        assert not unhandled
        assert time.monotonic() - started < 2
        assert popen.return_value.send_signal.call_args_list == [mock.call(signal.SIGTERM)] * 2
        assert signal.getsignal(number) is not run_all._stop  # put back for whoever runs next
    finally:
        signal.signal(number, original)
