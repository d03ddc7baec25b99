"""Fixtures shared by every tier: a fresh app whose database and packages live in tmp_path."""
import pytest

from mlexp import create_app


@pytest.fixture
def app(tmp_path):
    """A fresh server whose SQLite file and packages live in tmp_path."""
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
