"""Apply and inspect Alembic migrations of the store (the scripts ship inside the package)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from imb_bot.db.engine import create_store_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import URL

__all__ = [
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str | URL | None = None) -> Config:
    """Return an Alembic config for the packaged migrations, targeting ``url``."""
    from alembic.config import Config  # Alembic loads only when migrations are used

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # attributes, not the ini option: URLs with '%' would need escaping there.
        config.attributes["url"] = url
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def upgrade_to_head(url: str | URL) -> str:
    """Migrate the database at ``url`` to the newest schema; return the head revision.

    Safe to call at every start-up: a database already at head is left unchanged.
    """
    upgrade(url, "head")
    return head_revision()


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` (``base`` drops every table)."""
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def head_revision() -> str:
    """Return the newest revision the packaged migrations define."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("the packaged migrations define no revision")
    return head


def current_revision(url: str | URL) -> str | None:
    """Return the revision the database at ``url`` is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
