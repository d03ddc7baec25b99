"""One server for every logged-model test (a new app costs more than most tests): each test works
in an experiment of its own, so searches never see another test's models."""
import uuid

import pytest

from tests.api.logged_models.helpers import ModelApi
from tests.databases import make_app


@pytest.fixture(scope="package")
def client(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("logged_models"))
    return app.test_client()


@pytest.fixture(scope="package")
def api(client):
    return ModelApi(client)


@pytest.fixture
def experiment_id(api):
    return api.create_experiment(f"exp-{uuid.uuid4().hex}")


@pytest.fixture
def model(api, experiment_id):
    """A PENDING model with param lr=0.1 and tag t=v."""
    return api.create_model(experiment_id, name="base", params=[{"key": "lr", "value": "0.1"}],
                            tags=[{"key": "t", "value": "v"}])


@pytest.fixture
def run_id(api, experiment_id):
    return api.create_run(experiment_id)["info"]["run_id"]
