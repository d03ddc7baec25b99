"""The JSON body limit: a bigger body is refused before anything is written, after the access
check, whatever its content type; artifact uploads are not JSON and are left alone."""
import json

import pytest

from tests.api.access.helpers import (AJAX, API, ARTIFACTS, LIMIT, assert_permission_denied,
                                      assert_unauthenticated)
from tests.api.credentials import add_token, bearer
from tests.api.helpers import tags_of
from tests.databases import make_app


def _limit_mentioned(message: str) -> bool:
    return f"{LIMIT:,}" in message or str(LIMIT) in message


@pytest.mark.parametrize("prefix", [API, AJAX])
def test_json_body_over_the_limit_is_refused_and_run_unchanged_when_posted(open_client, prefix):
    client = open_client
    run = client.post(f"{prefix}/runs/create", json={"experiment_id": "0"}).get_json()["run"]
    run_id = run["info"]["run_id"]
    body = {"run_id": run_id, "params": [{"key": "p", "value": "v"}],
            "metrics": [{"key": f"m{i}", "value": i, "timestamp": 1, "step": 0} for i in range(100)]}
    assert len(json.dumps(body)) > LIMIT
    response = client.post(f"{prefix}/runs/log-batch", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert set(error) == {"error_code", "message"}
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert _limit_mentioned(error["message"]), error
    after = client.get(f"{prefix}/runs/get", query_string={"run_id": run_id}).get_json()["run"]
    assert after["data"].get("metrics", []) == [] and after["data"].get("params", []) == []
    assert tags_of(after) == tags_of(run)


def test_json_body_just_under_the_limit_is_accepted_when_posted(open_client):
    client = open_client
    run = client.post(f"{API}/runs/create", json={"experiment_id": "0"}).get_json()["run"]
    run_id = run["info"]["run_id"]
    skeleton = json.dumps({"run_id": run_id, "key": "note", "value": ""}).encode()
    value = "x" * (LIMIT - len(skeleton))
    body = json.dumps({"run_id": run_id, "key": "note", "value": value}).encode()
    assert len(body) == LIMIT
    response = client.post(f"{API}/runs/set-tag", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_json()
    over = json.dumps({"run_id": run_id, "key": "note2", "value": value + "y"}).encode()
    response = client.post(f"{API}/runs/set-tag", data=over, content_type="application/json")
    assert response.status_code == 400 and _limit_mentioned(response.get_json()["message"])
    tags = tags_of(client.get(f"{API}/runs/get", query_string={"run_id": run_id}).get_json()["run"])
    assert tags["note"] == value and "note2" not in tags


def test_json_body_limit_applies_whatever_the_content_type_when_posted(open_client):
    client = open_client
    name = "big-" + "n" * (LIMIT + 10)
    body = json.dumps({"name": name})
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        response = client.post(f"{API}/experiments/create", data=body, content_type=content_type)
        assert response.status_code == 400, content_type
        assert response.get_json()["error_code"] == "INVALID_PARAMETER_VALUE"
    names = [e["name"] for e in client.get(f"{API}/experiments/search").get_json()["experiments"]]
    assert name not in names and "Default" in names


def test_json_body_limit_is_checked_after_access_when_tokens_exist(tmp_path):
    small_app = make_app(tmp_path, MAX_JSON_BYTES=LIMIT)
    client = small_app.test_client()
    reader = add_token(small_app, "reader", "read")
    big = {"name": "n" * (LIMIT + 10)}
    assert_unauthenticated(client.post(f"{API}/experiments/create", json=big))
    assert_permission_denied(client.post(f"{API}/experiments/create", json=big, headers=bearer(reader)))


def test_json_body_limit_leaves_artifact_uploads_alone_when_they_are_bigger(open_client):
    client = open_client
    run = client.post(f"{API}/runs/create", json={"experiment_id": "0"}).get_json()["run"]
    package = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    blob = b"z" * (LIMIT * 4)
    assert client.put(f"{ARTIFACTS}/{package}/big.bin", data=blob).status_code == 200
    assert client.get(f"{ARTIFACTS}/{package}/big.bin").data == blob
