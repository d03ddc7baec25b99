"""The one way services write: a unit of work that commits once or not at all.

A write transaction is a pooled DBAPI connection and its cursor. Statements compiled once
(storage/prepared.py) run straight on that cursor: on the logging hot path SQLAlchemy's Python
per statement (~150 µs) and a Session's setup and commit (~75 µs) each cost as much as the whole
call did. ORM-style services use `tx.session`, or any helper's `db.session`: the Session joins the
same connection and transaction on first use (extensions.Session), so both kinds of work land
together, under one BEGIN, commit, rollback and error policy.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError, PendingRollbackError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement

from mlexp.clock import now_ms
from mlexp.errors import Busy, NotFound
from mlexp.extensions import db, open_write
from mlexp.storage.prepared import Prepared, execute_statement
from mlexp.storage.database import WRITERS_LOCK


BUSY_MESSAGE = "The database is busy; retry the request."


def write_transaction() -> WriteTransaction:
    """A write transaction to use in `with`: it commits on success and rolls back on any error.

    On SQLite it takes the write lock at the start (BEGIN IMMEDIATE), after this process's
    writers took turns. Database errors pass through as SQLAlchemy's (a DataError becomes the
    API's 400 "A value cannot be stored").

    Raises:
        Busy: the database stayed locked for the whole busy timeout.
    """
    return WriteTransaction()


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


class WriteTransaction:
    """An open write transaction: compiled statements on its cursor, the ORM through `session`.

    A statement's DBAPI error is raised as SQLAlchemy's error of the same kind (DataError,
    IntegrityError, OperationalError…), as if the statement had gone through SQLAlchemy.
    """

    def __enter__(self) -> WriteTransaction:
        _end_reads()
        self._take_turn()
        self._pooled = self._connection = self._session = self._token = None
        try:
            engine = self._engine = db.engine
            self.dialect = engine.dialect
            self._dbapi_error = engine.dialect.loaded_dbapi.Error
            self._pooled = engine.raw_connection()
            self.cursor = self._pooled.cursor()
            self._token = open_write.set(self)
            if self.dialect.name == "sqlite":  # the write lock now (storage/database.py says why)
                try:
                    self.cursor.execute("BEGIN IMMEDIATE")
                except self._dbapi_error as exc:
                    raise self._wrapped(exc) from exc
        except BaseException as exc:
            self.__exit__(type(exc), exc, None)
            raise
        return self

    def __exit__(self, exc_type, exc, _traceback) -> None:
        try:
            if exc_type is None:
                self._commit()
            else:
                self._rollback()
                _raise_busy_if_locked(exc)
        finally:
            self._release()

    @property
    def session(self) -> Session:
        """The request's Session, working inside this transaction."""
        return db.session()

    def run(self, prepared: Prepared, params: dict):
        """Run a compiled statement once; returns the cursor for fetching."""
        self._check_usable()
        try:
            return prepared.execute(self.cursor, self.dialect, params)
        except self._dbapi_error as exc:
            raise self._wrapped(exc) from exc

    def run_many(self, prepared: Prepared, rows: list[dict]) -> None:
        """Run a compiled statement for every row, in one driver call."""
        self._check_usable()
        try:
            prepared.executemany(self.cursor, self.dialect, rows)
        except self._dbapi_error as exc:
            raise self._wrapped(exc) from exc

    def run_statement(self, statement: ClauseElement):
        """Compile and run a one-off statement (IN lists of varying length, rare paths)."""
        self._check_usable()
        try:
            return execute_statement(self.cursor, self.dialect, statement)
        except self._dbapi_error as exc:
            raise self._wrapped(exc) from exc

    def _check_usable(self) -> None:
        """Raises: PendingRollbackError once a failed flush of the session rolled the transaction
        back; a statement after it would run (and commit) outside the transaction."""
        if self._session is not None and not self._session.is_active:
            raise PendingRollbackError("This write transaction was rolled back by a failed flush of "
                                       "its session; no statement may run in it any more")

    def join(self, session: Session) -> Connection:
        """This transaction as the Connection `session` works on (extensions.Session.get_bind).

        The Session joins a transaction already begun ("rollback_only" joining in SQLAlchemy's
        terms): its commit only flushes, its rollback rolls the transaction back.
        """
        if self._connection is None:
            self._connection = Connection(self._engine, connection=self._pooled)
            self._connection.begin()  # begun on the driver already: this only tells SQLAlchemy
        self._session = session
        return self._connection

    def _wrapped(self, exc: Exception) -> DBAPIError:
        """A driver's error as SQLAlchemy's error of the same kind."""
        return DBAPIError.instance(None, None, exc, self._dbapi_error, dialect=self.dialect)

    def _commit(self) -> None:
        """Raises: after rolling back, the commit's error (Busy if the database stayed locked)."""
        try:
            if self._session is not None and self._session.in_transaction():
                self._session.commit()  # flushes; the transaction itself is committed below
            try:
                (self._connection or self._pooled).commit()
            except self._dbapi_error as exc:
                raise self._wrapped(exc) from exc
        except BaseException as error:
            self._rollback()
            _raise_busy_if_locked(error)
            raise

    def _rollback(self) -> None:
        if self._session is not None:
            self._session.rollback()  # joined: this rolls the transaction back too
        if self._pooled is not None:
            (self._connection or self._pooled).rollback()

    def _release(self) -> None:
        try:
            if self._token is not None:
                open_write.reset(self._token)
            if self._pooled is not None:
                (self._connection or self._pooled).close()  # back to the pool
        finally:
            self._end_turn()

    def _take_turn(self) -> None:
        """On SQLite, this process's writers queue on a lock before BEGIN IMMEDIATE.

        A writer that finds the database locked is otherwise left to SQLite's busy handler, which
        sleeps 1, 2, 5 … 100 ms between tries: with 8 clients logging batches, waiting writers
        slept long after the lock was free (p99 1.0–1.3 s). The lock hands over at once. Writers
        in other processes (gunicorn workers, the CLI) still meet the busy timeout. Re-entrant,
        so a write started inside another on the same thread fails as before rather than
        waiting on itself.

        Raises:
            Busy: the turn did not come within the busy timeout.
        """
        self._lock = lock = current_app.extensions.get(WRITERS_LOCK)
        if lock is not None and not lock.acquire(
                timeout=current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000):
            raise Busy(BUSY_MESSAGE)

    def _end_turn(self) -> None:
        if self._lock is not None:
            self._lock.release()


def _end_reads() -> None:
    """Only reads can have happened in the request's session; end them, so that the session's
    next statement works inside the write transaction."""
    if db.session.registry.has():
        session = db.session()
        if session.in_transaction():
            session.rollback()


def _raise_busy_if_locked(error: BaseException) -> None:
    """Raises: Busy, from a database error that says the database stayed locked."""
    if isinstance(error, OperationalError) and ("locked" in str(error.orig)
                                                or "busy" in str(error.orig)):
        raise Busy(BUSY_MESSAGE) from error
