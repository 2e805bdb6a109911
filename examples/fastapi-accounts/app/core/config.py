"""Settings, read from the environment (the template reads them with
pydantic-settings; plain os.environ keeps the dependencies small)."""

import os
import secrets


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "sqlite:///./accounts.db")
    # Accept the libpq spellings too, and drive them with psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Settings:
    API_V1_STR = "/api/v1"
    PROJECT_NAME = os.environ.get("PROJECT_NAME", "Accounts")
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_urlsafe(32)
    # 8 days, as in the template.
    ACCESS_TOKEN_EXPIRE_MINUTES = int(os.environ.get("ACCESS_TOKEN_EXPIRE_MINUTES", 60 * 24 * 8))
    SQLALCHEMY_DATABASE_URI = _database_url()
    # PBKDF2 rounds for new hashes (OWASP's 2023 advice); tests may lower it.
    PASSWORD_HASH_ITERATIONS = int(os.environ.get("PASSWORD_HASH_ITERATIONS", 600_000))


settings = Settings()
