"""Model registry pages and promoting a run from its page."""
import re

import pytest

from tests.conftest import Api


def _token(client, url: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


@pytest.fixture
def promoted(api: Api, client):
    """A run with a model folder, promoted to 'churn' with alias 'champion'."""
    experiment_id = api.create_experiment("churn-exp")
    run = api.create_run(experiment_id, run_name="xgb-1")
    api.ok_post("/runs/log-batch", {"run_id": run["info"]["run_id"], "params": [{"key": "depth", "value": "6"}],
                                    "metrics": [{"key": "auc", "value": 0.91, "timestamp": 1, "step": 0}]})
    client.put(f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1/model/MLmodel", data=b"flavors: {}")
    run_url = f"/experiments/{experiment_id}/runs/1"
    response = client.post(f"{run_url}/promote", data={"csrf_token": _token(client, run_url),
                                                       "model": "churn", "alias": "champion"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/models/churn/versions/1")
    return {"experiment_id": experiment_id, "run_url": run_url, "run_id": run["info"]["run_id"]}


def test_promote_creates_model_version_and_alias_when_run_has_a_model(api, promoted):
    version = api.ok_get("/registered-models/alias", {"name": "churn", "alias": "champion"})["model_version"]
    assert (version["version"], version["run_id"]) == ("1", promoted["run_id"])
    assert version["source"] == f"runs:/{promoted['run_id']}/model"


def test_run_page_links_the_versions_it_became_when_promoted(client, promoted):
    html = client.get(promoted["run_url"]).get_data(as_text=True)
    assert 'href="/models/churn/versions/1">churn v1</a>' in html


def test_models_list_shows_latest_version_count_and_aliases_when_registered(client, promoted):
    html = client.get("/models").get_data(as_text=True)
    assert 'href="/models/churn"' in html and "@champion → 1" in html


def test_version_page_shows_source_run_params_metrics_and_files_when_opened(client, promoted):
    html = client.get("/models/churn/versions/1").get_data(as_text=True)
    assert ">xgb-1</a>" in html and "<td>depth</td><td>6</td>" in html and "0.91" in html
    assert "<code>MLmodel</code>" in html
    assert 'models:/churn/1' in html


def test_description_renders_markdown_safely_when_edited(client, promoted):
    response = client.post("/models/churn/description", data={
        "csrf_token": _token(client, "/models/churn"),
        "description": "# Churn\n**best** model <script>alert(1)</script> [x](javascript:alert(1))"})
    assert response.status_code == 302
    html = client.get("/models/churn").get_data(as_text=True)
    assert "<h1>Churn</h1>" in html and "<strong>best</strong>" in html
    assert "<script>alert(1)</script>" not in html and 'href="javascript:' not in html


def test_promote_refuses_run_without_a_model_when_nothing_was_logged(api, client):
    experiment_id = api.create_experiment("empty")
    api.create_run(experiment_id)
    url = f"/experiments/{experiment_id}/runs/1"
    response = client.post(f"{url}/promote", data={"csrf_token": _token(client, url), "model": "m"})
    assert response.status_code == 400
    assert "no logged model" in response.get_data(as_text=True)


def test_delete_model_needs_csrf_and_removes_it_when_confirmed(client, promoted):
    assert client.post("/models/churn/delete").status_code == 400
    client.post("/models/churn/delete", data={"csrf_token": _token(client, "/models/churn")})
    assert client.get("/models/churn").status_code == 404
