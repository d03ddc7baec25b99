"""Reads that overlap on reader threads, for pages that wait on several long statements.

sqlite3 and psycopg release the GIL while a statement runs, so two statements on two connections
use two cores: the run page's chart aggregates scale so, and the next search page is built here
while a client decodes the last (services/search_pages.py). (One search page split in two halves
did not gain: 40 ms instead of 42–47, as SQLite serialises its many allocations on a global
mutex.)

Each read runs inside an app context of its own, hence with its own session and pooled
connection, and so sees a snapshot of its own: rows written meanwhile may show in one part of a
page and not yet in another, as with any page read while runs are logging.
"""
from concurrent.futures import Future, ThreadPoolExecutor

from flask import current_app

# Shared by all requests, so concurrent pages cannot multiply the threads. The engine's pool has
# no overflow cap (config.py), so a reader never waits on a request thread that waits on it.
_READERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="mlexp-reader")


def submit_read(function, *args) -> Future:
    """function(*args) on a reader thread, in an app context (session, connection) of its own."""
    app = current_app._get_current_object()

    def read():
        with app.app_context():
            return function(*args)

    return _READERS.submit(read)
