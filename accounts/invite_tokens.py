"""Invite link tokens: 32 random bytes (url-safe base64); only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

# A link token is 43 characters; anything much longer is not one of ours (no hashing of megabytes).
TOKEN_MAX_LENGTH = 100


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh link token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)
