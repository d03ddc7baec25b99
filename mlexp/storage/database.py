"""The database: SQLite tuned for many concurrent writers, the schema kept at head, its first rows."""
import threading

from flask import Flask
from sqlalchemy import event, insert, select
from sqlalchemy.engine import URL, Connection, Engine

from mlexp.extensions import db
from mlexp.models import Experiment, add_postgresql_index_conditions

DEFAULT_EXPERIMENT_NAME = "Default"
WRITE_OPTION = "mlexp_write"
WRITERS_LOCK = "mlexp.sqlite_writers"  # app.extensions key: see storage/transaction.py
WAL_AUTOCHECKPOINT_PAGES = 10_000


def sqlite_file(url: URL) -> str | None:
    """The file behind an SQLite URL; None for another database or an in-memory one."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:" \
            or url.database.startswith("file::memory:"):
        return None
    return url.database


def configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, a busy timeout, foreign keys, and explicit BEGIN so writers queue instead of failing.

    pysqlite's own implicit BEGIN is switched off: a deferred transaction that reads and then
    writes fails at once with "database is locked" when another writer got in between (no busy
    wait happens for that upgrade). Write transactions therefore start with BEGIN IMMEDIATE,
    which takes the write lock up front and honours the busy timeout.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A 64 MB page cache and memory-mapped reads keep searches off the read() path.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA temp_store=MEMORY")
        # Serving processes checkpoint on a thread of their own (checkpoints.py); a writer's
        # commit checkpoints only if the log still outgrows ~40 MB (the default is ~4 MB).
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if conn.connection.driver_connection.in_transaction:
            return  # begun on the driver; a Session is joining it (storage/transaction.py)
        writing = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def configure_engine(app: Flask) -> None:
    """Tune the app's engine once, before its first connection."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
            app.extensions[WRITERS_LOCK] = threading.RLock()
        elif db.engine.dialect.name == "postgresql":
            add_postgresql_index_conditions()


def init_database(app: Flask) -> None:
    """Bring the schema to the newest migration and make sure the Default experiment (id 0) exists.

    A database already at head with its Default experiment costs three quick queries; anything else
    (a new file, an older schema, a file made before migrations) is done under a file lock in one
    write transaction, so servers starting together on a new instance do not race (on PostgreSQL,
    an advisory lock does the same for servers on other hosts).

    Raises:
        mlexp.storage.revisions.SchemaError: the database is newer than this mlexp, or cannot be adopted.
    """
    from mlexp.storage.migrate import lock_database_for_migration, migration_lock, schema_is_current, upgrade_schema

    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            if schema_is_current(connection) and _has_default_experiment(connection):
                return
        with (migration_lock(app.instance_path), engine.connect() as connection,
              connection.execution_options(**{WRITE_OPTION: True}).begin()):
            lock_database_for_migration(connection)
            upgrade_schema(connection)
            if not _has_default_experiment(connection):
                connection.execute(insert(Experiment.__table__).values(id=0, name=DEFAULT_EXPERIMENT_NAME))


def _has_default_experiment(connection: Connection) -> bool:
    """A Core query on the table: the model's attributes would configure every ORM mapper
    here (~30 ms of each start), before the first answer, which for /health needs none."""
    experiments = Experiment.__table__.c
    return connection.scalar(select(experiments.id).where(experiments.id == 0)) is not None
