"""SQLite writers of one process take turns on a lock (storage/transaction.py), and WAL
checkpoints run on a thread of their own (checkpoints.py)."""
import sqlite3
import threading
import time

import pytest

from mlexp.storage.checkpoints import start_checkpointer
from mlexp.storage.database import WRITERS_LOCK
from mlexp.extensions import db
from tests.conftest import Api

pytestmark = pytest.mark.sqlite_only  # PostgreSQL queues writers on its own row locks

CLIENTS, BATCHES, POINTS = 8, 6, 20


class CountingLock:
    """The app's writers lock, counting turns and the most writers ever inside at once."""

    def __init__(self, lock):
        self.lock, self.turns, self.inside, self.most_inside = lock, 0, 0, 0

    def acquire(self, timeout=-1):
        acquired = self.lock.acquire(timeout=timeout)
        if acquired:
            self.turns += 1
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        return acquired

    def release(self):
        self.inside -= 1
        self.lock.release()


def test_concurrent_batches_all_land_each_taking_a_turn(app, api, run_id, monkeypatch):
    lock = CountingLock(app.extensions[WRITERS_LOCK])
    monkeypatch.setitem(app.extensions, WRITERS_LOCK, lock)
    failures = []

    def client(number):
        own = Api(app.test_client())
        for batch in range(BATCHES):
            first = (number * BATCHES + batch) * POINTS
            status, body = own.post("/runs/log-batch", {"run_id": run_id, "metrics": [
                {"key": "loss", "value": step / 7, "timestamp": 1, "step": step}
                for step in range(first, first + POINTS)]})
            if status != 200:
                failures.append(body)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert lock.turns == CLIENTS * BATCHES and lock.most_inside == 1
    history = api.ok_get("/metrics/get-history", {"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert sorted(point["step"] for point in history) == list(range(CLIENTS * BATCHES * POINTS))


def test_a_writer_whose_turn_does_not_come_within_the_busy_timeout_gets_503(app, api, run_id):
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 200
    lock = app.extensions[WRITERS_LOCK]
    held, done = threading.Event(), threading.Event()

    def hold():
        with lock:
            held.set()
            done.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(30)
    try:
        status, body = api.post("/runs/log-metric",
                                {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1})
    finally:
        done.set()
        holder.join()
    assert (status, body["error_code"]) == (503, "TEMPORARILY_UNAVAILABLE")
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1})


def test_the_checkpointer_copies_committed_writes_into_the_database_file(app, api):
    with app.app_context():
        path = db.engine.url.database

    def in_database_file(name: str) -> bool:
        """Read the database file alone, as if the log did not exist."""
        connection = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            found = connection.execute("SELECT count(*) FROM experiments WHERE name = ?", (name,))
            return found.fetchone()[0] == 1
        except sqlite3.OperationalError:  # even the tables may still be in the log only
            return False
        finally:
            connection.close()

    api.create_experiment("logged")
    assert not in_database_file("logged")  # writers' commits leave small logs alone
    checkpointer = start_checkpointer(app)
    try:
        deadline = time.monotonic() + 10
        while not in_database_file("logged") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert in_database_file("logged")
    finally:
        checkpointer.stop()
