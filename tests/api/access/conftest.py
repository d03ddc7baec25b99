"""Servers the access tests share, one each for the whole package (a new app costs more than most
tests): `shared` has data and two tokens, `open_app` has none; tests that change tokens get a
fresh `app` and `world` of their own. One test shows the token cache's real expiry."""
from types import SimpleNamespace

import pytest

from tests.api.access.helpers import API, ARTIFACTS, LIMIT
from tests.api.credentials import add_token
from tests.databases import make_app


def seed_world(app):
    """One of everything, made while access was open; then a write and a read token."""
    client = app.test_client()

    def ok(response):
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    eid = ok(client.post(f"{API}/experiments/create", json={"name": "exp"}))["experiment_id"]
    run = ok(client.post(f"{API}/runs/create", json={"experiment_id": eid, "run_name": "r1"}))["run"]
    run_id = run["info"]["run_id"]
    ok(client.post(f"{API}/runs/log-metric", json={"run_id": run_id, "key": "loss", "value": 0.5,
                                                   "timestamp": 1, "step": 0}))
    ok(client.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"}))
    package = f"ml_experiment_{eid}/1"
    ok(client.put(f"{ARTIFACTS}/{package}/hello.txt", data=b"hello"))
    ok(client.post(f"{API}/registered-models/create", json={"name": "m"}))
    ok(client.post(f"{API}/model-versions/create",
                   json={"name": "m", "source": f"mlflow-artifacts:/{package}", "run_id": run_id}))
    model = ok(client.post(f"{API}/logged-models", json={"experiment_id": eid}))["model"]
    model_id = model["info"]["model_id"]
    side = ok(client.post(f"{API}/experiments/create", json={"name": "scratch"}))["experiment_id"]
    writer = add_token(app, "alice", "write")
    reader = add_token(app, "reader", "read")
    return SimpleNamespace(app=app, experiment_id=eid, run_id=run_id, package=package,
                           model_id=model_id, scratch_experiment_id=side, writer=writer, reader=reader)


@pytest.fixture(scope="package")
def shared(tmp_path_factory):
    """A server with data and two tokens that the package's tests only read, or write beside.

    Tests that change tokens get a fresh `app` (and `world`) of their own. Tests that write with
    the write token do so in the "scratch" experiment, so the seeded data stays as made.
    """
    app = make_app(tmp_path_factory.mktemp("shared"))
    return seed_world(app)


@pytest.fixture
def world(app):
    """Like `shared`, on this test's own server (for tests that revoke or add tokens)."""
    return seed_world(app)


@pytest.fixture(scope="package")
def open_app(tmp_path_factory):
    """A server with no tokens (access open) and a small JSON body limit; tests never add tokens."""
    return make_app(tmp_path_factory.mktemp("open"), MAX_JSON_BYTES=LIMIT)


@pytest.fixture
def open_client(open_app):
    return open_app.test_client()


@pytest.fixture
def web(shared):
    """A fresh browser-like client (own cookie jar) on the shared server."""
    return shared.app.test_client()
