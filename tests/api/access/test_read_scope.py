"""A read token reads everything and posts only the read-only searches; every write it sends is
refused with 403 and changes nothing."""
import pytest

from tests.api.access.helpers import (AJAX, API, ARTIFACTS, assert_permission_denied, call, get_run,
                                      rules, scratch_run)
from tests.api.credentials import basic, bearer

# The searches a read token may POST (the spec's list, not the code's).
READ_ONLY_POSTS = ("/runs/search", "/experiments/search", "/logged-models/search",
                   "/registered-models/get-latest-versions")
SAFE = {"GET", "HEAD", "OPTIONS"}


@pytest.mark.parametrize("prefix", [API, AJAX])
def test_read_token_posts_the_read_only_searches_when_it_has_read_scope(shared, web, prefix):
    headers = bearer(shared.reader)
    runs = web.post(f"{prefix}/runs/search", headers=headers,
                    json={"experiment_ids": [shared.experiment_id]})
    assert runs.status_code == 200, runs.get_json()
    assert [r["info"]["run_id"] for r in runs.get_json()["runs"]] == [shared.run_id]
    experiments = web.post(f"{prefix}/experiments/search", headers=headers, json={})
    assert experiments.status_code == 200
    assert {e["name"] for e in experiments.get_json()["experiments"]} == {"Default", "exp", "scratch"}
    models = web.post(f"{prefix}/logged-models/search", headers=headers,
                      json={"experiment_ids": [shared.experiment_id]})
    assert models.status_code == 200, models.get_json()
    assert [m["info"]["model_id"] for m in models.get_json()["models"]] == [shared.model_id]
    latest = web.post(f"{prefix}/registered-models/get-latest-versions", headers=headers,
                      json={"name": "m"})
    assert latest.status_code == 200, latest.get_json()
    assert [v["version"] for v in latest.get_json()["model_versions"]] == ["1"]


def test_read_token_gets_every_get_route_without_401_or_403_when_it_has_read_scope(shared, web):
    for rule, method, url in rules(shared.app, api=True):
        if method != "GET":
            continue
        response = web.get(url, headers=bearer(shared.reader))
        assert response.status_code not in (401, 403), (url, response.get_json())


def test_read_token_reads_real_data_when_it_has_read_scope(shared, web):
    headers = bearer(shared.reader)
    run = get_run(web, shared.run_id, headers)
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"loss": 0.5}
    history = web.get(f"{API}/metrics/get-history", headers=headers,
                      query_string={"run_id": shared.run_id, "metric_key": "loss"})
    assert [m["value"] for m in history.get_json()["metrics"]] == [0.5]
    listing = web.get(ARTIFACTS, headers=headers, query_string={"path": shared.package})
    assert listing.get_json()["files"] == [{"path": "hello.txt", "is_dir": False, "file_size": 5}]
    download = web.get(f"{ARTIFACTS}/{shared.package}/hello.txt", headers=headers)
    assert download.status_code == 200 and download.data == b"hello"
    model = web.get(f"{API}/registered-models/get", headers=headers, query_string={"name": "m"})
    assert model.get_json()["registered_model"]["name"] == "m"


def test_every_api_write_answers_403_when_token_has_read_scope(shared, web):
    """Every non-GET API call except the four read-only searches is a write."""
    checked = 0
    for rule, method, url in rules(shared.app, api=True):
        if method in SAFE or (method == "POST" and rule.rule.endswith(READ_ONLY_POSTS)):
            continue
        assert_permission_denied(call(web, method, url, bearer(shared.reader)))
        assert_permission_denied(call(web, method, url, basic(shared.reader)))
        checked += 1
    assert checked >= 80


READ_TOKEN_WRITES = [
    ("POST", "/runs/log-metric", lambda w: {"run_id": w.run_id, "key": "loss", "value": 9.0, "timestamp": 5}),
    ("POST", "/runs/log-parameter", lambda w: {"run_id": w.run_id, "key": "new", "value": "x"}),
    ("POST", "/runs/log-batch", lambda w: {
        "run_id": w.run_id, "metrics": [{"key": "b", "value": 1, "timestamp": 1, "step": 0}]}),
    ("POST", "/runs/set-tag", lambda w: {"run_id": w.run_id, "key": "t", "value": "v"}),
    ("POST", "/runs/update", lambda w: {"run_id": w.run_id, "status": "FINISHED"}),
    ("POST", "/runs/delete", lambda w: {"run_id": w.run_id}),
    ("POST", "/runs/create", lambda w: {"experiment_id": w.experiment_id}),
    ("POST", "/experiments/create", lambda w: {"name": "sneaky"}),
    ("POST", "/experiments/update", lambda w: {"experiment_id": w.experiment_id, "new_name": "renamed"}),
    ("POST", "/experiments/delete", lambda w: {"experiment_id": w.experiment_id}),
    ("POST", "/registered-models/create", lambda w: {"name": "m2"}),
    ("POST", "/registered-models/rename", lambda w: {"name": "m", "new_name": "m3"}),
    ("PATCH", "/registered-models/update", lambda w: {"name": "m", "description": "changed"}),
    ("DELETE", "/registered-models/delete", lambda w: {"name": "m"}),
    ("POST", "/registered-models/alias", lambda w: {"name": "m", "alias": "prod", "version": "1"}),
    ("POST", "/model-versions/create", lambda w: {"name": "m", "source": "x"}),
    ("POST", "/model-versions/transition-stage",
     lambda w: {"name": "m", "version": "1", "stage": "Production"}),
    ("DELETE", "/model-versions/delete", lambda w: {"name": "m", "version": "1"}),
    ("POST", "/logged-models", lambda w: {"experiment_id": w.experiment_id}),
    ("DELETE", "/logged-models/{model_id}", lambda w: None),
]


def test_read_token_writes_are_refused_and_change_nothing_when_sent(shared, web):
    before = snapshot(web, shared)
    for method, path, body in READ_TOKEN_WRITES:
        response = web.open(API + path.format(model_id=shared.model_id), method=method,
                            json=body(shared), headers=bearer(shared.reader))
        assert_permission_denied(response)
    assert snapshot(web, shared) == before


def snapshot(client, world_) -> dict:
    """Everything the read-token writes above might have changed."""
    headers = bearer(world_.writer)
    return {
        "run": get_run(client, world_.run_id, headers),
        "runs": client.post(f"{API}/runs/search", headers=headers,
                            json={"experiment_ids": [world_.experiment_id],
                                  "run_view_type": "ALL"}).get_json(),
        "experiments": client.get(f"{API}/experiments/search", headers=headers,
                                  query_string={"view_type": "ALL"}).get_json(),
        "models": client.get(f"{API}/registered-models/search", headers=headers).get_json(),
        "versions": client.get(f"{API}/model-versions/search", headers=headers).get_json(),
        "logged": client.post(f"{API}/logged-models/search", headers=headers,
                              json={"experiment_ids": [world_.experiment_id]}).get_json(),
    }


def test_read_token_cannot_put_or_delete_artifacts_when_it_has_read_scope(shared, web):
    headers = bearer(shared.reader)
    for prefix in ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"):
        assert_permission_denied(web.put(f"{prefix}/artifacts/{shared.package}/evil.txt",
                                         data=b"evil", headers=headers))
        assert_permission_denied(web.put(f"{prefix}/artifacts/{shared.package}/hello.txt",
                                         data=b"overwritten", headers=headers))
        assert_permission_denied(web.delete(f"{prefix}/artifacts/{shared.package}/hello.txt",
                                            headers=headers))
        assert_permission_denied(web.post(f"{prefix}/mpu/create/{shared.package}/big.bin",
                                          json={}, headers=headers))
    listing = web.get(ARTIFACTS, headers=headers, query_string={"path": shared.package})
    assert listing.get_json()["files"] == [{"path": "hello.txt", "is_dir": False, "file_size": 5}]
    assert web.get(f"{ARTIFACTS}/{shared.package}/hello.txt", headers=headers).data == b"hello"


def test_read_token_cannot_write_through_a_path_that_ends_like_a_search_when_tricked(shared, web):
    headers = bearer(shared.reader)
    for path in ("runs/search", "experiments/search", "registered-models/get-latest-versions"):
        assert_permission_denied(web.post(
            f"/api/2.0/mlflow-artifacts/mpu/create/{shared.package}/{path}", json={}, headers=headers))
        assert_permission_denied(web.put(f"{ARTIFACTS}/{shared.package}/{path}", data=b"x",
                                         headers=headers))
    assert_permission_denied(web.post(f"{API}/runs/log-metric?next=/runs/search", headers=headers,
                                      json={"run_id": shared.run_id, "key": "k", "value": 1,
                                            "timestamp": 1}))


def test_write_token_writes_artifacts_when_it_has_write_scope(shared, web):
    headers = bearer(shared.writer)
    run = scratch_run(shared)
    package = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    for name in ("keep.txt", "drop.txt"):
        assert web.put(f"{ARTIFACTS}/{package}/{name}", data=b"new", headers=headers).status_code == 200
    assert web.delete(f"{ARTIFACTS}/{package}/drop.txt", headers=headers).status_code == 200
    listing = web.get(ARTIFACTS, headers=headers, query_string={"path": package})
    assert listing.get_json()["files"] == [{"path": "keep.txt", "is_dir": False, "file_size": 3}]
