"""Fixtures shared by every tier: a fresh app whose database and packages live in tmp_path."""
import shutil
import sqlite3

import pytest

from mlexp import create_app

DATABASE_FILE = "mlexp.sqlite"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> str:
    """A database file brought to the schema head once, for tests to start from a copy of.

    Running the migrations costs ~40 ms per fresh app; copying a finished file costs ~1 ms.
    """
    instance = tmp_path_factory.mktemp("template-instance")
    app = create_app({"TESTING": True}, instance_path=str(instance))
    with app.app_context():
        from mlexp.extensions import db

        db.engine.dispose()
    path = str(instance / DATABASE_FILE)
    connection = sqlite3.connect(path)
    try:  # fold the WAL into the file, so one file is enough
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return path


@pytest.fixture
def app(tmp_path, migrated_database):
    """A fresh server whose SQLite file and packages live in tmp_path."""
    shutil.copyfile(migrated_database, tmp_path / DATABASE_FILE)
    return create_app({"TESTING": True}, instance_path=str(tmp_path))


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
