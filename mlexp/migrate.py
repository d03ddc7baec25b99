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
import re
from contextlib import contextmanager
from functools import cache

import click
from flask import Flask
from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, inspect, text
from sqlalchemy.engine import Connection

try:
    import fcntl
except ImportError:  # not POSIX: no lock between processes (a single server still works)
    fcntl = None

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")
LOCK_FILE = ".migrate.lock"

log = logging.getLogger(__name__)


class SchemaError(Exception):
    """This mlexp cannot use the database's schema; the message says why and what to do."""


class DatabaseTooNew(SchemaError):
    """The database was upgraded by a newer mlexp: running older code on it could damage data."""

    def __init__(self, url: str, found: set[str], head: set[str]):
        self.found, self.head = found, head
        super().__init__(
            f"the database {url} is at schema revision {_names(found)}, which this mlexp does not "
            f"know (its newest revision is {_names(head)}): a newer mlexp has upgraded it. Run that "
            f"newer mlexp, or restore a backup taken before the upgrade.")


class LegacySchemaError(SchemaError):
    """A database made before migrations existed whose tables cannot be brought to the first revision."""


def _names(revisions: set[str]) -> str:
    return ", ".join(sorted(revisions)) or "(none)"


class Revisions:
    """The revision graph of migrations/versions/: each revision and the revisions it follows."""

    def __init__(self, parents: dict[str, tuple[str, ...]]):
        self.parents = parents

    @property
    def heads(self) -> set[str]:
        followed = {p for ps in self.parents.values() for p in ps}
        return set(self.parents) - followed

    @property
    def base(self) -> str:
        (first,) = [rev for rev, ps in self.parents.items() if not ps]
        return first


_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"](\w+)['\"]", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@cache
def script_revisions(directory: str = MIGRATIONS_DIR) -> Revisions:
    """Read `revision = …` / `down_revision = …` from each version file (tests check this agrees
    with Alembic's own ScriptDirectory)."""
    versions = os.path.join(directory, "versions")
    parents = {}
    for name in sorted(os.listdir(versions)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(versions, name), encoding="utf-8") as source:
            code = source.read()
        revision = _REVISION.search(code)
        if revision is None:
            continue
        down = _DOWN_REVISION.search(code)
        parents[revision.group(1)] = tuple(re.findall(r"['\"](\w+)['\"]", down.group(1))) if down else ()
    return Revisions(parents)


def database_revisions(connection: Connection) -> set[str] | None:
    """The revisions stamped in the database; None when it has no alembic_version table."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return set(connection.scalars(text("SELECT version_num FROM alembic_version")))


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
        log.info("Created a new database at schema revision %s", _names(revisions.heads))
        return
    if has_tables:  # no alembic_version, or an empty one
        from mlexp.legacy_schema import adopt_legacy_database

        changes = adopt_legacy_database(connection, revisions.base)
        log.info("Adopted a database made before migrations (%s); stamped revision %s",
                 "; ".join(changes) or "no changes needed", revisions.base)
        found = {revisions.base}
    elif found and found - set(revisions.parents):
        raise DatabaseTooNew(connection.engine.url.render_as_string(hide_password=True),
                             found, revisions.heads)
    if found != revisions.heads:
        run_alembic(connection, "upgrade", "heads")
        log.info("Database schema upgraded from %s to %s", _names(found or set()), _names(revisions.heads))


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


def run_alembic(connection: Connection, command_name: str, revision: str) -> None:
    """Run an Alembic command (upgrade, stamp…) on an open connection, inside its transaction."""
    from alembic import command
    from alembic.config import Config

    plugins = logging.getLogger("alembic.runtime.plugins")
    if plugins.level == logging.NOTSET:
        plugins.setLevel(logging.WARNING)  # else a line per autogenerate plugin at each upgrade
    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    config.attributes["connection"] = connection
    getattr(command, command_name)(config, revision)


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
