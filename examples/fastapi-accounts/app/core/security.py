"""Password hashing and access tokens.

Passwords are hashed with PBKDF2-HMAC-SHA256 from the standard library, in
the format Django and passlib's ``django_pbkdf2_sha256`` use:

    pbkdf2_sha256$<iterations>$<salt>$<base64 of the derived key>

The iteration count is part of the hash, so test fixtures may store a cheap
hash. ``python -m app.core.security PASSWORD [ITERATIONS] [SALT]`` prints one.
"""

import base64
import hashlib
import hmac
import secrets
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from app.core.config import settings

ALGORITHM = "HS256"
DEFAULT_ITERATIONS = settings.PASSWORD_HASH_ITERATIONS


def create_access_token(subject: str | Any, expires_delta: timedelta) -> str:
    expire = datetime.now(timezone.utc) + expires_delta
    to_encode = {"exp": expire, "sub": str(subject)}
    return jwt.encode(to_encode, settings.SECRET_KEY, algorithm=ALGORITHM)


def get_password_hash(password: str, iterations: int = DEFAULT_ITERATIONS, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    key = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(key).decode()}"


def verify_password(plain_password: str, hashed_password: str) -> bool:
    try:
        algorithm, iterations, salt, expected = hashed_password.split("$", 3)
        if algorithm != "pbkdf2_sha256":
            return False
        key = hashlib.pbkdf2_hmac("sha256", plain_password.encode(), salt.encode(), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(base64.b64encode(key).decode(), expected)


if __name__ == "__main__":
    if not 2 <= len(sys.argv) <= 4:
        sys.exit("usage: python -m app.core.security PASSWORD [ITERATIONS] [SALT]")
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_ITERATIONS
    salt = sys.argv[3] if len(sys.argv) > 3 else None
    print(get_password_hash(sys.argv[1], iterations, salt))
