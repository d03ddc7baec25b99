"""Where a test instance keeps its database.

By default each instance folder holds its own SQLite file, as in production. Under
`pytest --postgres` (or `--postgres-url`), each instance folder gets a PostgreSQL database of its
own instead, made on first use and remembered by folder, so a server restarted on the same
instance finds its data again. Tests build apps with `make_app(instance)` and start servers with
`LiveServer`, which both ask `backend` for the instance's configuration.
"""
import itertools
import os
import shutil
import sqlite3
import tempfile

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from mlexp import create_app

DATABASE_FILE = "mlexp.sqlite"


class SqliteBackend:
    """Each instance's own `mlexp.sqlite`; `migrated` copies a file already at head (~1 ms, where
    running the migrations costs ~40 ms)."""

    name = "sqlite"

    def __init__(self):
        self._scratch = tempfile.mkdtemp(prefix="mlexp-test-template-")
        self._template = None

    def config(self, instance, migrated: bool = True) -> dict:
        path = os.path.join(str(instance), DATABASE_FILE)
        if migrated and not os.path.exists(path):
            os.makedirs(str(instance), exist_ok=True)
            shutil.copyfile(self._migrated_template(), path)
        return {}

    def _migrated_template(self) -> str:
        if self._template is None:
            folder = os.path.join(self._scratch, "template-instance")
            app = create_app({"TESTING": True}, instance_path=folder)
            with app.app_context():
                from mlexp.extensions import db

                db.engine.dispose()
            path = os.path.join(folder, DATABASE_FILE)
            connection = sqlite3.connect(path)
            try:  # fold the WAL into the file, so one file is enough
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
            self._template = path
        return self._template

    def close(self) -> None:
        shutil.rmtree(self._scratch, ignore_errors=True)


class PostgresBackend:
    """A database per instance on one PostgreSQL server; `migrated` ones are copies of a template
    database brought to head once (CREATE DATABASE … TEMPLATE, ~30 ms)."""

    name = "postgresql"

    def __init__(self, server_url: str):
        self._server_url = make_url(server_url)
        self._admin = create_engine(self._server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self._numbers = itertools.count(1)
        self._by_instance: dict[str, str] = {}
        self._prefix = f"mlexp_test_{os.getpid()}_"  # two test runs may share a --postgres-url server
        self._template = f"{self._prefix}template"
        self._template_ready = False

    def _url(self, database: str) -> str:
        return self._server_url.set(database=database).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(sql))

    def config(self, instance, migrated: bool = True) -> dict:
        key = os.path.realpath(str(instance))
        if key not in self._by_instance:
            name = f"{self._prefix}{next(self._numbers)}"
            if migrated:
                self._ensure_template()
                self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}" STRATEGY FILE_COPY')
            else:
                self._execute(f'CREATE DATABASE "{name}"')
            self._by_instance[key] = self._url(name)
        return {"DATABASE_URI": self._by_instance[key]}

    def _ensure_template(self) -> None:
        if self._template_ready:
            return
        self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self._template}"')
        with tempfile.TemporaryDirectory() as folder:
            app = create_app({"TESTING": True, "DATABASE_URI": self._url(self._template)},
                             instance_path=folder)
            with app.app_context():
                from mlexp.extensions import db

                db.engine.dispose()
        self._template_ready = True

    def release(self, instance) -> None:
        """Drop an instance's database (its connections are cut)."""
        uri = self._by_instance.pop(os.path.realpath(str(instance)), None)
        if uri:
            self._execute(f'DROP DATABASE IF EXISTS "{make_url(uri).database}" WITH (FORCE)')

    def close(self) -> None:
        for instance in list(self._by_instance):
            self.release(instance)
        self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
        self._admin.dispose()


backend: SqliteBackend | PostgresBackend | None = None  # set by tests/conftest.py


def instance_config(instance, migrated: bool = True) -> dict:
    """create_app config that puts `instance`'s database where this test run keeps databases."""
    return backend.config(instance, migrated=migrated)


def instance_env(instance) -> dict:
    """The same, as environment variables for a server or CLI in a subprocess (schema left to it)."""
    return {f"MLEXP_{key}": value for key, value in backend.config(instance, migrated=False).items()}


def make_app(instance, **config):
    """A testing app on `instance`, its database at head."""
    os.makedirs(str(instance), exist_ok=True)
    return create_app({"TESTING": True, **instance_config(instance), **config}, instance_path=str(instance))


def release(instance) -> None:
    """Free an instance's database early (PostgreSQL); SQLite files go with tmp_path."""
    if isinstance(backend, PostgresBackend):
        backend.release(instance)
