from sqlmodel import SQLModel, create_engine

from app.core.config import settings

connect_args = {}
if settings.SQLALCHEMY_DATABASE_URI.startswith("sqlite"):
    connect_args = {"check_same_thread": False}

engine = create_engine(settings.SQLALCHEMY_DATABASE_URI, pool_pre_ping=True, connect_args=connect_args)


def init_db() -> None:
    # The template runs Alembic migrations; this example creates the tables
    # from the models, as SQLModel's tutorial does. Existing tables are kept.
    import app.models  # noqa: F401  (registers the tables)

    SQLModel.metadata.create_all(engine)
