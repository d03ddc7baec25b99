"""WAL checkpoints on a thread of their own, off the writers' path.

SQLite copies the write-ahead log back into the database file (a checkpoint, with an fsync) in
the commit of whichever writer pushes the log past `wal_autocheckpoint` pages. With 8 clients
logging batches of 100 metrics that writer's commit took tens of milliseconds, and commits
averaged 4.6 ms instead of 1.4 ms. A serving process therefore runs passive checkpoints on a
background thread: they copy what no reader still needs and never take the write lock, so
writers go on appending meanwhile; sqlite3 releases the GIL while one runs. `serve()` starts it,
and so does each gunicorn worker (gunicorn.conf.py). Connections keep a high
`wal_autocheckpoint` (database.py) as a safety net for processes without this thread (the CLI,
tests' apps, other WSGI servers).
"""
import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.1


class Checkpointer:
    """A daemon thread that checkpoints one SQLite database every INTERVAL_SECONDS until stopped."""

    def __init__(self, path: str):
        self.path = path
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mlexp-checkpointer", daemon=True)

    def start(self) -> "Checkpointer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def checkpoint(self, connection: sqlite3.Connection) -> tuple[int, int, int]:
        """(busy, frames in the log, frames copied) of one passive checkpoint."""
        return connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            connection.execute("PRAGMA synchronous=NORMAL")
            while not self._stopped.wait(INTERVAL_SECONDS):
                try:
                    self.checkpoint(connection)
                except sqlite3.Error as exc:  # e.g. the file went away; the next try may work
                    log.debug("checkpoint of %s failed: %s", self.path, exc)
        finally:
            connection.close()


def start_checkpointer(app) -> Checkpointer | None:
    """A running Checkpointer for the app's database, or None if it is not an SQLite file."""
    from mlexp.storage.database import sqlite_file
    from mlexp.extensions import db

    with app.app_context():
        path = sqlite_file(db.engine.url)
    return Checkpointer(path).start() if path else None
