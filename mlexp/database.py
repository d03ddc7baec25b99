"""The embedded database: SQLite tuned for many concurrent writers, and the schema's first rows."""
from flask import Flask
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from mlexp.extensions import db
from mlexp.models import Experiment

DEFAULT_EXPERIMENT_NAME = "Default"
WRITE_OPTION = "mlexp_write"


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
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        writing = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def configure_engine(app: Flask) -> None:
    """Tune the app's engine once, before its first connection."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def init_database(app: Flask) -> None:
    """Create missing tables and the Default experiment (id 0); safe to run again."""
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(Experiment).where(Experiment.id == 0)) is None:
            db.session.add(Experiment(id=0, name=DEFAULT_EXPERIMENT_NAME))
            db.session.commit()
        db.session.remove()
