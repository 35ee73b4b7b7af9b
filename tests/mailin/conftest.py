"""A real IMAP server on loopback: Debian's dovecot, started from a config in a temp dir.

dovecot must run as root (it drops to its own users); mail is stored as the `dovecot` user in
a maildir under the temp dir. Each test gets its own mailbox (the static passdb accepts any
user name with the password below).
"""

import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-test-password"

CONFIG = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/home/%u
}}
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


@dataclass(frozen=True)
class ImapServer:
    host: str
    port: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def imap_server() -> Iterator[ImapServer]:
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd; .ci/run does)")
    if os.geteuid() != 0:
        pytest.skip("dovecot needs root to start with its own users")
    dovecot_user = pwd.getpwnam("dovecot")
    root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
    root.chmod(0o755)
    for name in ("mail", "home"):
        (root / name).mkdir()
        os.chown(root / name, dovecot_user.pw_uid, dovecot_user.pw_gid)
    port = _free_port()
    config = root / "dovecot.conf"
    config.write_text(CONFIG.format(root=root, port=port, password=PASSWORD))
    subprocess.run([DOVECOT, "-c", str(config)], check=True)  # noqa: S603 - our own binary
    pid_file = root / "run" / "master.pid"
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError((root / "dovecot.log").read_text()) from None
            time.sleep(0.05)  # waiting for a server to listen, not for a deadline
    try:
        yield ImapServer("127.0.0.1", port)
    finally:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)


class Mailbox:
    """A test's own mailbox, seeded with IMAP APPEND."""

    def __init__(self, server: ImapServer, user: str) -> None:
        self.server = server
        self.user = user

    def _connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4(self.server.host, self.server.port, timeout=10)
        connection.login(self.user, PASSWORD)
        return connection

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        connection = self._connect()
        try:
            status, data = connection.append(folder, None, None, raw.replace(b"\n", b"\r\n"))
            assert status == "OK", data
        finally:
            connection.logout()

    def count(self, folder: str) -> int:
        connection = self._connect()
        try:
            status, data = connection.select(f'"{folder}"', readonly=True)
            return int(data[0]) if status == "OK" else 0
        finally:
            connection.logout()


@pytest.fixture
def mailbox(imap_server, settings) -> Mailbox:
    user = f"helpdesk-{uuid.uuid4().hex[:10]}"
    settings.HELPDESK_IMAP_HOST = imap_server.host
    settings.HELPDESK_IMAP_PORT = imap_server.port
    settings.HELPDESK_IMAP_USER = user
    settings.HELPDESK_IMAP_PASSWORD = PASSWORD
    settings.HELPDESK_IMAP_TLS = "none"
    return Mailbox(imap_server, user)
