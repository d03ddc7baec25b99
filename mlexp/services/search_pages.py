"""Pages of SearchRuns as JSON, the next one built ahead while a client pages through.

`mlflow.search_runs` reads an experiment 1,000 runs a page, and between two requests the client
decodes the page it just got: measured here, as long as the server took to build it (~60 ms).
When a client is paging (it sent a page token, or asked for a page of MLflow's paging size and
there is more), the next page is built on a reader thread while the client decodes, so the two
cores work at once and the next request finds its runs' JSON ready.

A page built ahead is used only if nothing was committed to the database since it was read.
SQLite's `PRAGMA data_version`, asked on a connection of our own that never writes, changes
whenever any other connection, of this process or another, commits; it is read before the page
built ahead starts its read transaction and again when the page is taken: unchanged, the database
is the one the page was read from, so searching again would give the same page. On other
databases every page is built on request.
"""
import sqlite3
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future

from flask import current_app

from mlexp.storage.database import sqlite_file
from mlexp.extensions import db
from mlexp.services import runs
from mlexp.services.run_json import runs_json
from mlexp.storage.readers import submit_read

PAGING_SIZE = 1000  # mlflow.search_runs asks for pages of this many runs while it pages through
MAX_PAGES_AHEAD = 4  # pages held at once, across clients (each ~1.4 MB per 1,000 runs)
MAX_RUNS_AHEAD = 5000  # larger pages are built on request only
EXPIRE_SECONDS = 60.0  # a page nobody came for is dropped after this


def search_page(experiment_ids: list[str], **search) -> tuple[bytes, str | None]:
    """One page's runs as Run JSON, comma-separated in order, and the next page's token if any.

    Takes services.runs.search_run_ids's arguments. Raises: as search_run_ids.
    """
    ahead = _pages_ahead()
    page = ahead.take(_key(experiment_ids, search)) if ahead else None
    if page is None:
        ids, next_token = runs.search_run_ids(experiment_ids, **search)
        page = ids, next_token, runs_json(ids)
    ids, next_token, runs_body = page
    paging = search.get("page_token") is not None or len(ids) >= PAGING_SIZE
    if ahead and paging and next_token and len(ids) <= MAX_RUNS_AHEAD:
        following = {**search, "page_token": next_token}
        ahead.build(_key(experiment_ids, following), experiment_ids, following)
    return runs_body, next_token


def _key(experiment_ids: list[str], search: dict) -> tuple:
    return (tuple(experiment_ids), *(repr(search.get(name)) for name in sorted(search)))


class ChangeCounter:
    """SQLite's data_version on a connection that only asks for it: a new value means another
    connection committed since the last time it was asked."""

    def __init__(self, path: str):
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def value(self) -> int:
        with self._lock:
            return self._connection.execute("PRAGMA data_version").fetchone()[0]


class PagesAhead:
    """Pages being built or built ahead, by search; each is taken at most once."""

    def __init__(self, counter: ChangeCounter):
        self.counter = counter
        self._pages: OrderedDict[tuple, tuple[float, Future]] = OrderedDict()
        self._lock = threading.Lock()

    def build(self, key: tuple, experiment_ids: list[str], search: dict) -> None:
        """Start building the page `search` asks for on a reader thread."""
        future = submit_read(self._build, experiment_ids, search)
        now = time.monotonic()
        with self._lock:
            self._pages[key] = (now, future)
            self._pages.move_to_end(key)
            while len(self._pages) > MAX_PAGES_AHEAD or (
                    self._pages and next(iter(self._pages.values()))[0] < now - EXPIRE_SECONDS):
                self._pages.popitem(last=False)

    def _build(self, experiment_ids: list[str], search: dict) -> tuple[int, tuple]:
        version = self.counter.value()  # before the read transaction starts: see the module doc
        ids, next_token = runs.search_run_ids(experiment_ids, **search)
        return version, (ids, next_token, runs_json(ids))

    def take(self, key: tuple) -> tuple[list[int], str | None, bytes] | None:
        """(ids, next token, runs' JSON) of the page built ahead for `key`, if there is one and
        nothing was committed since it was read; waits for a page still being built."""
        with self._lock:
            _started, future = self._pages.pop(key, (None, None))
        if future is None:
            return None
        try:
            version, page = future.result()
            unchanged = self.counter.value() == version
        except Exception:  # the request builds its page itself, and meets the error there if any
            return None
        return page if unchanged else None


def _pages_ahead() -> PagesAhead | None:
    """The app's PagesAhead, made on first use; None where pages cannot be checked (not SQLite)."""
    extensions = current_app.extensions
    if "mlexp_pages_ahead" not in extensions:
        path = sqlite_file(db.engine.url)
        extensions.setdefault("mlexp_pages_ahead", PagesAhead(ChangeCounter(path)) if path else None)
    return extensions["mlexp_pages_ahead"]
