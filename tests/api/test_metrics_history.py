"""metrics/get-history: every point of one metric, ordered by timestamp, step, value; paged."""
import base64
import json

import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, make_api

# Logged in this scrambled order; the expected history order is the sorted one.
POINTS = [
    {"key": "loss", "value": 0.3, "timestamp": 200, "step": 1},
    {"key": "loss", "value": 0.9, "timestamp": 100, "step": 2},
    {"key": "loss", "value": 0.7, "timestamp": 100, "step": 1},
    {"key": "loss", "value": 0.2, "timestamp": 100, "step": 1},
    {"key": "loss", "value": "NaN", "timestamp": 300, "step": 0},
    {"key": "loss", "value": "-Infinity", "timestamp": 50, "step": 9},
    {"key": "loss", "value": 0.1, "timestamp": 400, "step": 0},
]
ORDERED = [POINTS[5], POINTS[3], POINTS[2], POINTS[1], POINTS[0], POINTS[4], POINTS[6]]


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """Read-only: a run with the POINTS of `loss` (logged one by one) and one point of `acc`."""
    api = make_api(tmp_path_factory, "history")
    run_id = api.create_run("0")["info"]["run_id"]
    for point in POINTS:
        api.ok_post("/runs/log-metric", {"run_id": run_id, **point})
    api.ok_post("/runs/log-metric",
                {"run_id": run_id, "key": "acc", "value": 1, "timestamp": 1, "step": 0})
    empty_run_id = api.create_run("0")["info"]["run_id"]
    return api, run_id, empty_run_id


def test_history_orders_points_by_timestamp_step_value_when_logged_out_of_order(logged):
    api, run_id, _ = logged
    response = api.ok_get("/metrics/get-history", {"run_id": run_id, "metric_key": "loss"})
    assert response == {"metrics": ORDERED}


def test_history_accepts_legacy_run_uuid_when_run_id_is_absent(logged):
    api, run_id, _ = logged
    response = api.ok_get("/metrics/get-history", {"run_uuid": run_id, "metric_key": "acc"})
    assert response["metrics"] == [{"key": "acc", "value": 1.0, "timestamp": 1, "step": 0}]


def test_history_is_empty_when_metric_was_never_logged(logged):
    api, run_id, empty_run_id = logged
    for rid in (run_id, empty_run_id):
        response = api.ok_get("/metrics/get-history", {"run_id": rid, "metric_key": "nope"})
        assert response.get("metrics", []) == []
        assert "next_page_token" not in response


@pytest.mark.parametrize("page_size, pages", [(1, 7), (3, 3), (7, 1), (100, 1)])
def test_history_pages_in_order_when_max_results_is_given(logged, page_size, pages):
    api, run_id, _ = logged
    seen, token, count = [], None, 0
    while True:
        params = {"run_id": run_id, "metric_key": "loss", "max_results": page_size}
        if token:
            params["page_token"] = token
        response = api.ok_get("/metrics/get-history", params)
        count += 1
        assert len(response["metrics"]) <= page_size
        seen += response["metrics"]
        token = response.get("next_page_token")
        if not token:
            break
        assert count < 20, "paging does not terminate"
    assert seen == ORDERED
    assert count == pages


class TestMetricHistoryErrors:
    def test_not_found_when_run_is_unknown(self, logged):
        api, _, _ = logged
        result = api.get("/metrics/get-history", {"run_id": "c" * 32, "metric_key": "loss"})
        assert_error(result, NOT_FOUND, "c" * 32)

    def test_rejects_when_metric_key_is_missing(self, logged):
        api, run_id, _ = logged
        assert_error(api.get("/metrics/get-history", {"run_id": run_id}), INVALID, "'metric_key'")

    def test_rejects_when_run_id_is_missing(self, logged):
        api, _, _ = logged
        assert_error(api.get("/metrics/get-history", {"metric_key": "loss"}), INVALID, "'run_id'")

    @pytest.mark.parametrize("max_results", ["0", "-2"])
    def test_rejects_when_max_results_is_not_positive(self, logged, max_results):
        api, run_id, _ = logged
        result = api.get("/metrics/get-history",
                         {"run_id": run_id, "metric_key": "loss", "max_results": max_results})
        assert_error(result, INVALID, "max_results")

    def test_rejects_when_max_results_is_not_a_number(self, logged):
        api, run_id, _ = logged
        result = api.get("/metrics/get-history",
                         {"run_id": run_id, "metric_key": "loss", "max_results": "many"})
        assert_error(result, INVALID, "'max_results'")

    def test_rejects_when_page_token_was_not_issued_by_server(self, logged):
        api, run_id, _ = logged
        result = api.get("/metrics/get-history",
                         {"run_id": run_id, "metric_key": "loss", "page_token": "%%%"})
        assert_error(result, INVALID, "page token")

    def test_rejects_when_page_token_offset_is_beyond_int64(self, logged):
        api, run_id, _ = logged
        token = base64.urlsafe_b64encode(json.dumps({"offset": 2 ** 70}).encode()).decode()
        result = api.get("/metrics/get-history",
                         {"run_id": run_id, "metric_key": "loss", "page_token": token})
        assert_error(result, INVALID, "page token")
