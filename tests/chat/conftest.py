"""A local HTTP receiver standing in for Slack, Teams and a Matrix homeserver, and channels."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chat import services
from chat.models import ChatChannel, ChatEvent, Platform
from escalation.models import SupportGroup, Tier
from tests.sla.conftest import clock  # noqa: F401 (the SLA tests' frozen clock, for the sweep)

ALL_EVENTS = [value for value in ChatEvent.values if value != ChatEvent.TEST]
SLACK_URL_SECRET = "/services/T000/B000/slack-secret-XYZW"
TEAMS_URL_SECRET = "/workflows/teams-secret-sig-QRST"
MATRIX_TOKEN = "syt_matrix_secret_token_MNOP"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """Records every request; answers with the queued status codes (then 200)."""

    base_url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    # Sent with every answer (e.g. a Location for a redirect).
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    # The receiver listens on loopback, which chat sends refuse (chat.destinations): the tests
    # allow it the way an on-premises install allows its own chat server.
    settings.HELPDESK_CHAT_ALLOWED_HOSTS = ["127.0.0.1"]
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            recv = state["receiver"]
            if recv.delay:
                time.sleep(recv.delay)
            with recv.lock:
                recv.requests.append(
                    Received(self.command, self.path, dict(self.headers), json.loads(raw or b"{}"))
                )
                status = recv.statuses.pop(0) if recv.statuses else 200
            body = b'{"event_id": "$abc"}' if status == 200 else b'{"error": "nope"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in recv.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_PUT = _handle

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(base_url=f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def groups() -> dict[int, SupportGroup]:
    """The tier groups AgentFactory puts agents in."""
    return {
        tier: SupportGroup.objects.get_or_create(name=f"Tier {tier} team", defaults={"tier": tier})[
            0
        ]
        for tier in (Tier.L1, Tier.L2, Tier.L3)
    }


@pytest.fixture
def make_channel(manager, receiver, groups):
    def make(
        platform: str = Platform.SLACK,
        *,
        tier: int = Tier.L1,
        events: list[str] | None = None,
        language: str = "en",
        name: str = "",
        url: str | None = None,
        is_enabled: bool = True,
    ) -> ChatChannel:
        secret = {
            Platform.SLACK: receiver.url(SLACK_URL_SECRET),
            Platform.TEAMS: receiver.url(TEAMS_URL_SECRET),
            Platform.MATRIX: MATRIX_TOKEN,
        }[Platform(platform)]
        if url is not None and platform != Platform.MATRIX:
            secret = url
        return services.chat_channel_save(
            actor=manager,
            channel=None,
            name=name or f"{platform} {tier}",
            support_group=groups[tier],
            platform=platform,
            events=events or ALL_EVENTS,
            language=language,
            is_enabled=is_enabled,
            homeserver=(url or receiver.base_url) if platform == Platform.MATRIX else "",
            room_id="!room:example.org" if platform == Platform.MATRIX else "",
            secret=secret,
        )

    return make
