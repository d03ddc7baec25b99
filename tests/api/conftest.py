"""Fixtures for the API tier: an experiment and a run to write into."""
import pytest


@pytest.fixture
def experiment_id(api):
    return api.create_experiment("exp")


@pytest.fixture
def run(api, experiment_id):
    return api.create_run(experiment_id, run_name="r1")


@pytest.fixture
def run_id(run):
    return run["info"]["run_id"]


@pytest.fixture
def get_run(api):
    """Fetch a run by id through the API."""
    def _get(run_id: str) -> dict:
        return api.ok_get("/runs/get", {"run_id": run_id})["run"]
    return _get
