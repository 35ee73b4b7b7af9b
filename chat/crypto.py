"""The channels' secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived by HKDF.

The key comes from HELPDESK_CHAT_SECRET_KEY when set (so rotating Django's SECRET_KEY does not
lose the secrets), else from SECRET_KEY. A secret that no longer decrypts (the key changed) fails
its deliveries with a message saying to enter it again; it is never shown back.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class SecretUnreadable(Exception):
    pass


def _fernet() -> Fernet:
    material = getattr(settings, "HELPDESK_CHAT_SECRET_KEY", "") or settings.SECRET_KEY
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"helpdesk.chat.channel-secret"
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def secret_seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_open(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "the channel's secret cannot be decrypted (the key changed): enter it again"
        ) from exc
