"""An EMAIL_BACKEND for fault tests: each message takes a while and is logged once sent.

Configured by environment (the worker subprocess) or settings: SLOW_MAIL_SECONDS per message,
SLOW_MAIL_LOG the file that gets one line (the Message-ID) per message "delivered".
SLOW_MAIL_HANG_AFTER (environment only): once the log holds that many messages, the next one
never completes (a server that stops answering mid-conversation) until the process is killed,
so a test kills a worker at a known point instead of racing it.
"""

import os
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class SlowBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        delay = float(
            os.environ.get("SLOW_MAIL_SECONDS", getattr(settings, "SLOW_MAIL_SECONDS", 0))
        )
        log = os.environ.get("SLOW_MAIL_LOG") or settings.SLOW_MAIL_LOG
        hang_after = int(os.environ.get("SLOW_MAIL_HANG_AFTER", "0"))
        for message in email_messages:
            time.sleep(delay)  # the SMTP conversation
            while hang_after and _logged(log) >= hang_after:
                time.sleep(1)  # the server stopped answering: only a kill ends this
            with open(log, "a") as sent:
                sent.write(f"{message.extra_headers['Message-ID']}\n")
                sent.flush()
                os.fsync(sent.fileno())
        return len(email_messages)


def _logged(log: str) -> int:
    try:
        with open(log) as sent:
            return sum(1 for _ in sent)
    except FileNotFoundError:
        return 0
