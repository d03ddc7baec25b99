"""Fixtures shared by every tier: a fresh app whose database and packages live in tmp_path.

`pytest --postgres` runs the same tests with each instance's database on a throwaway PostgreSQL
server (`--postgres-url URL` uses a server of your own; its user needs CREATEDB). Tests marked
`sqlite_only` (SQLite files, backups) are skipped there.
"""
import pytest

from tests import databases


def pytest_addoption(parser):
    group = parser.getgroup("mlexp")
    group.addoption("--postgres", action="store_true",
                    help="keep every test instance's database on a throwaway PostgreSQL server")
    group.addoption("--postgres-url", metavar="URL",
                    help="like --postgres, on an existing server (postgresql+psycopg://user@host/db)")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: the test is about SQLite files; skipped under --postgres")
    url = config.getoption("postgres_url")
    if config.getoption("postgres") and not url:
        from tests.postgres import TemporaryPostgres

        config._mlexp_postgres = TemporaryPostgres()
        url = config._mlexp_postgres.url
    if url:
        databases.backend = databases.PostgresBackend(url)
    else:
        databases.backend = databases.SqliteBackend()


def pytest_unconfigure(config):
    try:
        if databases.backend is not None:
            databases.backend.close()
    finally:
        server = getattr(config, "_mlexp_postgres", None)
        if server is not None:
            server.stop()


def pytest_collection_modifyitems(config, items):
    if databases.backend.name == "sqlite":
        return
    skip = pytest.mark.skip(reason="SQLite-specific (the run uses --postgres)")
    for item in items:
        if item.get_closest_marker("sqlite_only"):
            item.add_marker(skip)


@pytest.fixture
def app(tmp_path):
    """A fresh server whose database (at head) and packages belong to tmp_path."""
    app = databases.make_app(tmp_path)
    yield app
    with app.app_context():
        from mlexp.extensions import db

        db.engine.dispose()
    databases.release(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Calls MLflow endpoints through the test client and returns (status, json)."""

    PREFIX = "/api/2.0/mlflow"

    def __init__(self, client, prefix: str = PREFIX):
        self.client = client
        self.prefix = prefix

    def post(self, path: str, body=None, **kwargs):
        response = self.client.post(self.prefix + path, json=body, **kwargs)
        return response.status_code, response.get_json()

    def get(self, path: str, params=None):
        response = self.client.get(self.prefix + path, query_string=params)
        return response.status_code, response.get_json()

    def ok_post(self, path: str, body=None):
        status, data = self.post(path, body)
        assert status == 200, data
        return data

    def ok_get(self, path: str, params=None):
        status, data = self.get(path, params)
        assert status == 200, data
        return data

    def create_experiment(self, name: str, **body) -> str:
        return self.ok_post("/experiments/create", {"name": name, **body})["experiment_id"]

    def create_run(self, experiment_id: str = "0", **body) -> dict:
        return self.ok_post("/runs/create", {"experiment_id": experiment_id, **body})["run"]


@pytest.fixture
def api(client):
    return Api(client)
