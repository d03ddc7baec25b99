"""The one way services write: a unit of work that commits once or not at all."""
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import DataError, OperationalError

from mlexp.storage.database import WRITE_OPTION, WRITERS_LOCK
from mlexp.clock import now_ms
from mlexp.errors import Busy, NotFound
from mlexp.extensions import db


BUSY_MESSAGE = "The database is busy; retry the request."


@contextmanager
def _writers_take_turns():
    """On SQLite, this process's writers queue on a lock before BEGIN IMMEDIATE.

    A writer that finds the database locked is otherwise left to SQLite's busy handler, which
    sleeps 1, 2, 5 … 100 ms between tries: with 8 clients logging batches, waiting writers slept
    long after the lock was free (p99 1.0–1.3 s). The lock hands over at once. Writers in other
    processes (gunicorn workers, the CLI) still meet the busy timeout. Re-entrant, so a write
    started inside another on the same thread fails as before rather than waiting on itself.

    Raises:
        Busy: the turn did not come within the busy timeout.
    """
    lock = current_app.extensions.get(WRITERS_LOCK)
    if lock is None:
        yield
        return
    if not lock.acquire(timeout=current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000):
        raise Busy(BUSY_MESSAGE)
    try:
        yield
    finally:
        lock.release()


@contextmanager
def write_transaction():
    """Yield the session inside a write transaction; commit on success, roll back on any error.

    Raises:
        Busy: the database stayed locked for the whole busy timeout.
    """
    session = db.session()  # the request-scoped Session itself
    if session.in_transaction():
        # Only reads can have happened; start afresh so the write lock is taken at BEGIN.
        session.rollback()
    with _writers_take_turns():
        try:
            session.connection(execution_options={WRITE_OPTION: True})
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            if "locked" in str(exc.orig) or "busy" in str(exc.orig):
                raise Busy(BUSY_MESSAGE) from exc
            raise
        except BaseException:
            session.rollback()
            raise


def update_row(load, *key, **changes):
    """Load a row with `load(*key)`, set `changes` and its last_updated_time, and commit; the row.

    Raises:
        What `load` raises (NotFound for an unknown key).
    """
    with write_transaction():
        row = load(*key)
        for name, value in changes.items():
            setattr(row, name, value)
        row.last_updated_time = now_ms()
    return row


def delete_one(session, table, *where, missing: str) -> None:
    """Delete the row of `table` that `where` names, as MLflow deletes a tag or an alias.

    Raises:
        NotFound: with the message `missing`, when there is no such row.
    """
    if session.execute(delete(table).where(*where)).rowcount == 0:
        raise NotFound(missing)


@contextmanager
def dbapi_write_transaction():
    """A write transaction on a pooled DBAPI connection, for the logging hot path.

    Same guarantees as write_transaction (BEGIN IMMEDIATE on SQLite, one commit or a rollback,
    Busy after the busy timeout) without a Session: statements go through services/prepared.py.

    Raises:
        Busy: the database stayed locked for the whole busy timeout.
    """
    from mlexp.services.prepared import DbapiWriter

    engine = db.engine
    dbapi = engine.dialect.dbapi
    with _writers_take_turns():
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            if engine.dialect.name == "sqlite":
                cursor.execute("BEGIN IMMEDIATE")
            yield DbapiWriter(cursor, engine.dialect)
            connection.commit()
        except dbapi.OperationalError as exc:
            connection.rollback()
            if "locked" in str(exc) or "busy" in str(exc):
                raise Busy(BUSY_MESSAGE) from exc
            raise
        except dbapi.DataError as exc:  # as write_transaction's DataError, for the API's handler
            connection.rollback()
            raise DataError(None, None, exc) from exc
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
