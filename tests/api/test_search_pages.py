"""Search pages built ahead (services/search_pages.py): used while nothing changed, never stale."""
import sqlite3

import pytest

from mlexp.extensions import db
from mlexp.services import search_pages
from tests.api.helpers import metrics_of

pytestmark = pytest.mark.sqlite_only  # pages are built ahead on SQLite only (data_version)

RUNS, PAGE = 7, 2


@pytest.fixture
def experiment(api):
    experiment_id = api.create_experiment("paged")
    for number in range(RUNS):
        run = api.create_run(experiment_id, run_name=f"run-{number}", start_time=1000 + number)
        run_id = run["info"]["run_id"]
        api.ok_post("/runs/log-batch", {"run_id": run_id,
                                        "metrics": [{"key": "m", "value": number, "timestamp": 1, "step": 0}],
                                        "params": [{"key": "p", "value": str(number)}]})
    return experiment_id


@pytest.fixture
def taken(monkeypatch):
    """Whether each take() found a usable page built ahead, in order."""
    outcomes = []
    original = search_pages.PagesAhead.take

    def take(self, key):
        page = original(self, key)
        outcomes.append(page is not None)
        return page

    monkeypatch.setattr(search_pages.PagesAhead, "take", take)
    return outcomes


def page(api, experiment_id, token=None, **body):
    return api.ok_post("/runs/search", {"experiment_ids": [experiment_id], "max_results": PAGE,
                                        **({"page_token": token} if token else {}), **body})


def page_through(api, experiment_id, **body) -> list[dict]:
    pages, token = [], None
    while True:
        pages.append(page(api, experiment_id, token, **body))
        token = pages[-1].get("next_page_token")
        if not token:
            return pages


def wait_for_pages_ahead(app):
    with app.app_context():
        ahead = search_pages._pages_ahead()
    for _started, future in list(ahead._pages.values()):
        future.result(timeout=30)


def test_pages_after_the_second_are_built_ahead_and_equal_one_page_built_on_request(
        api, experiment, taken):
    for order_by in ([], ["metrics.m DESC"], ["params.p"]):
        taken.clear()
        pages = page_through(api, experiment, order_by=order_by)
        assert taken == [False, False, True, True], order_by  # 4 pages; 3 and 4 were built ahead
        whole = page(api, experiment, order_by=order_by, max_results=RUNS)
        assert [run for p in pages for run in p["runs"]] == whole["runs"]


def test_a_commit_after_the_page_was_built_makes_the_request_build_it_again(app, api, experiment, taken):
    first = page(api, experiment)
    second = page(api, experiment, first["next_page_token"])
    wait_for_pages_ahead(app)
    third_run_id = page(api, experiment, second["next_page_token"])["runs"][0]["info"]["run_id"]
    assert taken == [False, False, True]

    taken.clear()  # again, now with a write between building page 3 ahead and asking for it
    second = page(api, experiment, first["next_page_token"])
    wait_for_pages_ahead(app)
    api.ok_post("/runs/log-metric", {"run_id": third_run_id, "key": "m", "value": 99.5, "timestamp": 2})
    third = page(api, experiment, second["next_page_token"])
    assert taken == [False, False]  # pages 2 and 3 both built on request
    assert third["runs"][0]["info"]["run_id"] == third_run_id
    assert metrics_of(third["runs"][0])["m"]["value"] == 99.5


def test_a_commit_by_another_process_connection_is_seen_too(app, api, experiment, taken):
    first = page(api, experiment)
    second = page(api, experiment, first["next_page_token"])
    wait_for_pages_ahead(app)
    with app.app_context():
        path = db.engine.url.database
    with sqlite3.connect(path) as other:  # not the server's engine: as another process would
        other.execute("UPDATE runs SET name = 'renamed elsewhere'")
    third = page(api, experiment, second["next_page_token"])
    assert taken == [False, False, False]
    assert {run["info"]["run_name"] for run in third["runs"]} == {"renamed elsewhere"}


def test_small_first_pages_and_last_pages_build_nothing_ahead(app, api, experiment):
    page(api, experiment, max_results=RUNS)  # one page, no token
    page(api, experiment)  # a small first page: the client may not page on
    with app.app_context():
        assert search_pages._pages_ahead()._pages == {}


def test_a_first_page_of_the_paging_size_builds_the_second_ahead(api, experiment, taken, monkeypatch):
    monkeypatch.setattr(search_pages, "PAGING_SIZE", PAGE)  # as mlflow.search_runs with 1,000
    pages = page_through(api, experiment)
    assert taken == [False, True, True, True]
    assert [run for p in pages for run in p["runs"]] == page(api, experiment, max_results=RUNS)["runs"]


def test_pages_ahead_are_bounded_in_number(app, api, experiment):
    for lowest in range(search_pages.MAX_PAGES_AHEAD + 1):  # that many searches paging at once
        search = {"max_results": 1, "filter": f"metrics.m >= {lowest}"}
        page(api, experiment, page(api, experiment, **search)["next_page_token"], **search)
    with app.app_context():
        assert len(search_pages._pages_ahead()._pages) == search_pages.MAX_PAGES_AHEAD
