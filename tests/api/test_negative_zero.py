"""-0.0 as a metric value: reads answer it with its sign, as MLflow on PostgreSQL does."""
import math

import pytest


def _sign(value: float) -> float:
    return math.copysign(1, value)


@pytest.fixture(params=["/runs/log-metric", "/runs/log-batch"])
def logged(request, api, run_id, experiment_id):
    """A run whose metric m was logged once, as -0.0, through log-metric or log-batch."""
    point = {"key": "m", "value": -0.0, "timestamp": 1, "step": 0}
    single = request.param.endswith("log-metric")
    api.ok_post(request.param, {"run_id": run_id, **point} if single else {"run_id": run_id, "metrics": [point]})
    return run_id


def test_latest_metric_keeps_negative_zero_when_read_by_get_and_search(api, logged, experiment_id):
    (got,) = api.ok_get("/runs/get", {"run_id": logged})["run"]["data"]["metrics"]
    (found,) = api.ok_post("/runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert got["value"] == 0 and _sign(got["value"]) == -1
    assert _sign(found["data"]["metrics"][0]["value"]) == -1


def test_history_keeps_negative_zero_when_logged_on_any_database(api, logged):
    (point,) = api.ok_get("/metrics/get-history", {"run_id": logged, "metric_key": "m"})["metrics"]
    assert _sign(point["value"]) == -1


def test_history_keeps_positive_zero_positive_when_logged_beside_negative_zero(api, run_id):
    points = [{"key": "m", "value": value, "timestamp": 1, "step": step} for step, value in enumerate((0.0, -0.0, 0))]
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": points})
    history = api.ok_get("/metrics/get-history", {"run_id": run_id, "metric_key": "m"})["metrics"]
    assert [(p["step"], _sign(p["value"])) for p in history] == [(0, 1), (1, -1), (2, 1)]


def test_logged_model_metric_keeps_negative_zero_when_logged_for_the_model(api, run_id, experiment_id):
    model_id = api.ok_post("/logged-models", {"experiment_id": experiment_id})["model"]["info"]["model_id"]
    point = {"key": "m", "value": -0.0, "timestamp": 1, "step": 0, "model_id": model_id}
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [point]})
    (metric,) = api.ok_get(f"/logged-models/{model_id}")["model"]["data"]["metrics"]
    assert metric["value"] == 0 and _sign(metric["value"]) == -1
