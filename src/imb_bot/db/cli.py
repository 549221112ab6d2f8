"""``imb-bot db``: apply and inspect migrations, and check the stored data for consistency."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from imb_bot.db.consistency import Finding

# SQLAlchemy, Alembic and the store are imported inside the commands: `imb-bot --help` and the
# commands that never touch the database stay fast.

__all__ = ["db_app"]

EXIT_MISMATCH = 1  # `db check` found inconsistent data
EXIT_UNUSABLE = 2  # bad configuration, or the database cannot be reached / migrated

db_app = typer.Typer(
    help="Database: migrations (upgrade, downgrade, current) and consistency check.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML or TOML config file (also IMB_CONFIG); IMB_* environment variables win.",
        dir_okay=False,
    ),
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="SQLAlchemy URL; default: IMB_DATABASE_URL / the config file / the SQLite default.",
    ),
]


def _database_url(config: Path | None, url: str | None) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from imb_bot.config import ConfigError, load_settings

    if url is None:
        try:
            url = load_settings(config).database_url
        except ConfigError as exc:
            for line in exc.lines:
                typer.echo(line, err=True)
            raise typer.Exit(code=EXIT_UNUSABLE) from None
    try:
        make_url(url)
    except ArgumentError:
        typer.echo(f"database URL is not a valid SQLAlchemy URL: {url!r}", err=True)
        raise typer.Exit(code=EXIT_UNUSABLE) from None
    return url


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _fail(action: str, url: str, exc: Exception) -> typer.Exit:
    from sqlalchemy.exc import DBAPIError

    reason = str(exc.orig).strip() if isinstance(exc, DBAPIError) else str(exc)
    typer.echo(f"{action} failed on {_shown(url)}: {reason}", err=True)
    return typer.Exit(code=EXIT_UNUSABLE)


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    config: ConfigOption = None,
    database_url: UrlOption = None,
) -> None:
    """Apply migrations up to REVISION (default: head). Idempotent."""
    from sqlalchemy.exc import SQLAlchemyError

    from imb_bot.db.errors import StoreError
    from imb_bot.db.migrate import current_revision, upgrade

    url = _database_url(config, database_url)
    try:
        upgrade(url, revision)
        now = current_revision(url)
    except (SQLAlchemyError, StoreError) as exc:
        raise _fail("upgrade", url, exc) from exc
    typer.echo(f"{_shown(url)} is at revision {now}")


@db_app.command("downgrade")
def downgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' drops every table.")],
    config: ConfigOption = None,
    database_url: UrlOption = None,
) -> None:
    """Revert migrations down to REVISION (destructive: data of dropped tables is lost)."""
    from sqlalchemy.exc import SQLAlchemyError

    from imb_bot.db.errors import StoreError
    from imb_bot.db.migrate import current_revision, downgrade

    url = _database_url(config, database_url)
    try:
        downgrade(url, revision)
        now = current_revision(url)
    except (SQLAlchemyError, StoreError) as exc:
        raise _fail("downgrade", url, exc) from exc
    typer.echo(f"{_shown(url)} is at revision {now or 'base (empty)'}")


@db_app.command("current")
def current_command(config: ConfigOption = None, database_url: UrlOption = None) -> None:
    """Print the database's revision and whether it is the newest."""
    from sqlalchemy.exc import SQLAlchemyError

    from imb_bot.db.migrate import current_revision, head_revision

    url = _database_url(config, database_url)
    try:
        now = current_revision(url)
    except SQLAlchemyError as exc:
        raise _fail("reading the revision", url, exc) from exc
    head = head_revision()
    if now is None:
        typer.echo(f"{_shown(url)}: not migrated (head is {head}); run 'imb-bot db upgrade'")
    elif now == head:
        typer.echo(f"{_shown(url)}: {now} (head)")
    else:
        typer.echo(f"{_shown(url)}: {now} (head is {head}); run 'imb-bot db upgrade'")


@db_app.command("check")
def check_command(config: ConfigOption = None, database_url: UrlOption = None) -> None:
    """Check that trades add up to each order's filled quantity and to each position.

    Exit code 0 when consistent, 1 on any mismatch, 2 when the database cannot be read.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from imb_bot.db.consistency import check_store
    from imb_bot.db.errors import StoreError
    from imb_bot.db.store import RetryPolicy, Store

    url = _database_url(config, database_url)
    store = Store.from_url(url, retry=RetryPolicy(attempts=1))
    try:
        findings = check_store(store)
    except (SQLAlchemyError, StoreError) as exc:
        raise _fail("check", url, exc) from exc
    finally:
        store.close()
    if not findings:
        typer.echo(f"OK: orders, trades and positions of {_shown(url)} are consistent")
        return
    _print_findings(url, findings)
    raise typer.Exit(code=EXIT_MISMATCH)


def _print_findings(url: str, findings: list[Finding]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(findings)} mismatches in {_shown(url)}")
    for column in ("kind", "subject", "expected (from trades)", "stored", "detail"):
        table.add_column(column)
    for finding in findings:
        table.add_row(
            finding.kind.value, finding.subject, finding.expected, finding.stored, finding.detail
        )
    Console(width=160).print(table)
