"""The schema's revisions: the graph of migrations/versions/ (read as text, without importing
Alembic), the revisions a database is stamped with, running Alembic on an open connection, and
the errors of a schema this mlexp cannot use. Shared by migrate.py and legacy_schema.py."""
from __future__ import annotations

import logging
import os
import re
from functools import cache

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                              "migrations")


class SchemaError(Exception):
    """This mlexp cannot use the database's schema; the message says why and what to do."""


class DatabaseTooNew(SchemaError):
    """The database was upgraded by a newer mlexp: running older code on it could damage data."""

    def __init__(self, url: str, found: set[str], head: set[str]):
        self.found, self.head = found, head
        super().__init__(
            f"the database {url} is at schema revision {names(found)}, which this mlexp does not "
            f"know (its newest revision is {names(head)}): a newer mlexp has upgraded it. Run that "
            f"newer mlexp, or restore a backup taken before the upgrade.")


class LegacySchemaError(SchemaError):
    """A database made before migrations existed whose tables cannot be brought to the first revision."""


def names(revisions: set[str]) -> str:
    """Revision ids for a message."""
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
