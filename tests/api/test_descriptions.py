"""Registered-model and model-version descriptions: MLflow's 5,000-character limit, checked
before anything is written (a 1 MB description used to be stored and cost 16 s per page view)."""
import re

import pytest

from tests.api.helpers import INVALID, assert_error

LIMIT = 5000


def _send(api, method: str, path: str, body: dict):
    response = api.client.open(api.prefix + path, method=method, json=body)
    return response.status_code, response.get_json()


@pytest.fixture
def registry(api):
    """A registered model 'kept' with version 1, both described 'before'."""
    run_id = api.create_run()["info"]["run_id"]
    api.ok_post("/registered-models/create", {"name": "kept", "description": "before"})
    api.ok_post("/model-versions/create", {"name": "kept", "source": f"runs:/{run_id}/model",
                                           "run_id": run_id, "description": "before"})
    return api, run_id


def _writes(run_id: str, description: str) -> list:
    """(method, path, body, how to read the stored description back) for each write."""
    return [
        ("POST", "/registered-models/create", {"name": "fresh", "description": description},
         ("/registered-models/get", {"name": "fresh"}, "registered_model")),
        ("PATCH", "/registered-models/update", {"name": "kept", "description": description},
         ("/registered-models/get", {"name": "kept"}, "registered_model")),
        ("POST", "/model-versions/create", {"name": "kept", "source": f"runs:/{run_id}/model",
                                            "run_id": run_id, "description": description},
         ("/model-versions/get", {"name": "kept", "version": "2"}, "model_version")),
        ("PATCH", "/model-versions/update", {"name": "kept", "version": "1", "description": description},
         ("/model-versions/get", {"name": "kept", "version": "1"}, "model_version")),
    ]


WRITES = ["create-model", "update-model", "create-version", "update-version"]


@pytest.mark.parametrize("index", range(len(WRITES)), ids=WRITES)
def test_description_is_stored_when_at_the_limit(registry, index):
    api, run_id = registry
    method, path, body, (get_path, params, field) = _writes(run_id, "![" * (LIMIT // 2))[index]
    assert _send(api, method, path, body)[0] == 200
    assert api.ok_get(get_path, params)[field]["description"] == "![" * (LIMIT // 2)


@pytest.mark.parametrize("index", range(len(WRITES)), ids=WRITES)
def test_description_is_refused_when_over_the_limit(registry, index):
    api, run_id = registry
    method, path, body, (get_path, params, field) = _writes(run_id, "![" * 500_000)[index]
    message = assert_error(_send(api, method, path, body), INVALID, "1000000", str(LIMIT))
    assert message.endswith(f"description has length 1000000, which exceeds the limit of {LIMIT} characters")
    status, stored = api.get(get_path, params)
    assert status == 404 or stored[field]["description"] == "before"


def test_page_form_refuses_description_when_over_the_limit(registry, client):
    html = client.get("/models/kept").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post("/models/kept/description",
                           data={"csrf_token": token, "description": "x" * (LIMIT + 1)})
    assert response.status_code == 400
    assert f"exceeds the limit of {LIMIT}" in response.get_data(as_text=True)
    assert registry[0].ok_get("/registered-models/get", {"name": "kept"})["registered_model"]["description"] == "before"
