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


# How long a form keeps a secret typed into it across its errors (chat.forms).
TYPED_SECRET_SECONDS = 3600


def _fernet(info: bytes = b"helpdesk.chat.channel-secret") -> Fernet:
    material = getattr(settings, "HELPDESK_CHAT_SECRET_KEY", "") or settings.SECRET_KEY
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


# A key of its own: a channel's stored secret can never pass for a typed one, nor the reverse.
_TYPED = b"helpdesk.chat.typed-secret"


def secret_seal(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_open(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(
            "the channel's secret cannot be decrypted (the key changed): enter it again"
        ) from exc


def typed_secret_seal(secret: str) -> str:
    """A secret typed into a form that had errors, sealed for the page to carry back."""
    return _fernet(_TYPED).encrypt(secret.encode()).decode()


def typed_secret_open(sealed: str) -> str:
    """The typed secret, or "" when the value is not one this server sealed within the hour."""
    try:
        return _fernet(_TYPED).decrypt(sealed.encode(), ttl=TYPED_SECRET_SECONDS).decode()
    except (InvalidToken, ValueError, UnicodeError):
        return ""
