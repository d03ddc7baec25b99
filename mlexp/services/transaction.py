"""The one way services write: a unit of work that commits once or not at all."""
from contextlib import contextmanager

from sqlalchemy.exc import DataError, OperationalError

from mlexp.database import WRITE_OPTION
from mlexp.errors import Busy
from mlexp.extensions import db


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
    try:
        session.connection(execution_options={WRITE_OPTION: True})
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc.orig) or "busy" in str(exc.orig):
            raise Busy("The database is busy; retry the request.") from exc
        raise
    except BaseException:
        session.rollback()
        raise


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
            raise Busy("The database is busy; retry the request.") from exc
        raise
    except dbapi.DataError as exc:  # as write_transaction's DataError, for the API's handler
        connection.rollback()
        raise DataError(None, None, exc) from exc
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.close()  # back to the pool
