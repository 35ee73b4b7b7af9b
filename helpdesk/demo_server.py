"""The web server of `make run` (run_all): Django's runserver, with a time limit on each
connection's reads and writes.

Django's development server serves each connection in a thread of its own and keeps it open
between requests (HTTP/1.1 keep-alive) with no timeout at all: a browser's idle keep-alive
connections, a connection whose request never arrives whole (a client that stalled or
vanished half-way), or a download nobody reads any more, each held a thread blocked in a read
or a write forever. Here such a connection is closed once it has been silent for
CONNECTION_TIMEOUT_SECONDS; a browser opens a new one for its next request (Chromium retries a
request on a reused connection the server closed). A request that takes long to answer is not
cut: the limit applies to each read and write on the socket, not to the view.
"""

import logging
import socket
import sys
from typing import Any

from django.contrib.staticfiles.management.commands.runserver import (
    Command as StaticfilesRunserverCommand,
)
from django.core.servers.basehttp import WSGIServer

logger = logging.getLogger("django.server")

# Long enough for any read or write of a live browser (a poll every few seconds, a slow phone
# on the same network), short enough that a silent connection gives its thread back soon.
CONNECTION_TIMEOUT_SECONDS = 30.0


class DemoWSGIServer(WSGIServer):
    """WSGIServer whose accepted connections time out after `connection_timeout` seconds of
    silence; the timeout ends that connection quietly (it is not an error of the app)."""

    connection_timeout: float = CONNECTION_TIMEOUT_SECONDS
    # Chromium opens several connections per tab at once; the default backlog is 10.
    request_queue_size = 64

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        # The handler keeps it: StreamRequestHandler sets a timeout only when its own is set.
        connection.settimeout(self.connection_timeout)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], TimeoutError):
            logger.debug(
                "- Connection from %s closed after %ss of silence",
                client_address[0],
                self.connection_timeout,
            )
            return
        super().handle_error(request, client_address)


class RunserverCommand(StaticfilesRunserverCommand):
    """runserver (with the staticfiles app's handler, as `manage.py runserver` has) on
    DemoWSGIServer."""

    server_cls = DemoWSGIServer
