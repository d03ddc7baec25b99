"""Schema migrations (Alembic, through Flask-Migrate): bring the database to the newest revision.

At start-up the common case is a database already at head, and that check costs two small
queries: the revision ids are read from migrations/versions/ as text, without importing Alembic (its import and
loading the script directory cost ~0.1–0.3 s that every start would otherwise pay). A new
database is built from the models and stamped at head, also without Alembic. Alembic runs only
when an existing database has something to upgrade. Both happen under a file lock so that servers
started together on a new instance do not race to create the same tables.
"""
from __future__ import annotations

import logging
import os
from contextlib import contextmanager

import click
from flask import Flask
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy.engine import Connection

from mlexp.storage.legacy_schema import adopt_legacy_database
from mlexp.storage.revisions import (MIGRATIONS_DIR, DatabaseTooNew, database_revisions, names,
                                     run_alembic, script_revisions)

try:
    import fcntl
except ImportError:  # not POSIX: no lock between processes (a single server still works)
    fcntl = None

LOCK_FILE = ".migrate.lock"

log = logging.getLogger(__name__)


def schema_is_current(connection: Connection) -> bool:
    """The quick start-up check: two small queries, no Alembic."""
    return database_revisions(connection) == script_revisions().heads


def upgrade_schema(connection: Connection) -> None:
    """Bring the schema to head inside the caller's transaction (it commits or rolls back as one).

    Raises:
        DatabaseTooNew: the database carries a revision this code does not know.
        LegacySchemaError: a pre-migrations database whose tables differ from what can be repaired.
    """
    revisions = script_revisions()
    found = database_revisions(connection)
    if found == revisions.heads:
        return
    has_tables = not found and _has_mlexp_tables(connection)
    if found is None and not has_tables:
        create_at_head(connection, revisions.heads)
        log.info("Created a new database at schema revision %s", names(revisions.heads))
        return
    if has_tables:  # no alembic_version, or an empty one
        changes = adopt_legacy_database(connection, revisions.base)
        log.info("Adopted a database made before migrations (%s); stamped revision %s",
                 "; ".join(changes) or "no changes needed", revisions.base)
        found = {revisions.base}
    elif found and found - set(revisions.parents):
        raise DatabaseTooNew(connection.engine.url.render_as_string(hide_password=True),
                             found, revisions.heads)
    if found != revisions.heads:
        run_alembic(connection, "upgrade", "heads")
        log.info("Database schema upgraded from %s to %s", names(found or set()), names(revisions.heads))


# Alembic's version table, as `alembic upgrade` creates it.
ALEMBIC_VERSION = Table("alembic_version", MetaData(),
                        Column("version_num", String(32), nullable=False),
                        PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))


def create_at_head(connection: Connection, heads: set[str]) -> None:
    """A new database: the models' tables as they stand, stamped at head.

    This is Alembic's own recipe for building an up-to-date database from scratch, done without
    importing Alembic: its import and running every migration took ~0.3 s of a first start. Tests
    check that the result is the schema `alembic upgrade heads` builds.
    """
    from mlexp.extensions import db

    db.metadata.create_all(connection)
    ALEMBIC_VERSION.create(connection)
    connection.execute(ALEMBIC_VERSION.insert(), [{"version_num": head} for head in sorted(heads)])


def _has_mlexp_tables(connection: Connection) -> bool:
    from mlexp.extensions import db

    return bool(set(inspect(connection).get_table_names()) & set(db.metadata.tables))


# pg_advisory_xact_lock key ("mlexp" in ASCII): servers on several hosts share one PostgreSQL.
POSTGRES_MIGRATION_LOCK = 0x6D6C657870


def lock_database_for_migration(connection: Connection) -> None:
    """On PostgreSQL, hold an advisory lock until the caller's transaction ends, so servers on
    other hosts (where instance/.migrate.lock is another file) wait while one migrates; DDL is
    transactional there, so the waiter then finds the schema at head. SQLite needs nothing more:
    its database is a file on this host, and BEGIN IMMEDIATE already serialises writers."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": POSTGRES_MIGRATION_LOCK})


@contextmanager
def migration_lock(instance_path: str):
    """One process at a time migrates (fcntl.flock on instance/.migrate.lock, released on exit or crash)."""
    if fcntl is None:
        yield
        return
    with open(os.path.join(instance_path, LOCK_FILE), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _MigrateCommands(click.Group):
    """`flask db …`: Flask-Migrate's command group, imported the first time it is used."""

    def __init__(self, app: Flask):
        super().__init__("db", help="Schema migrations (Flask-Migrate): upgrade, migrate, current, "
                                    "history, downgrade, stamp…")
        self._app = app

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate import Migrate

        from mlexp.extensions import db

        Migrate(self._app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
        return self._app.cli.commands["db"].make_context(info_name, args, parent, **extra)


def register_migrate_commands(app: Flask) -> None:
    """Add `flask db …` without importing Flask-Migrate (and Alembic) at every server start."""
    app.cli.add_command(_MigrateCommands(app))
