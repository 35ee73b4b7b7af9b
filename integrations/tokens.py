"""Integration tokens: `<token_id>.<secret>`. Only a SHA-256 hash is stored."""

import hashlib
import hmac
import secrets

# Compared against when no integration has the token's id, so a miss costs what a hit does.
_NO_MATCH = hashlib.sha256(b"no integration has this token").hexdigest()
MAX_TOKEN_LENGTH = 200


def token_generate() -> tuple[str, str]:
    """A new (token_id, token); the token is shown once and never stored."""
    token_id = secrets.token_hex(6)
    return token_id, f"{token_id}.{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id_of(token: str) -> str:
    token_id, dot, secret = token.partition(".")
    if not dot or not secret or len(token) > MAX_TOKEN_LENGTH:
        return ""
    return token_id


def token_matches(*, token: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of the token's hash with the stored one."""
    return hmac.compare_digest(token_hash(token), stored_hash or _NO_MATCH) and bool(stored_hash)
