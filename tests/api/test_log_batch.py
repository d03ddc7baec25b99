"""runs/log-batch: everything lands together, or nothing does."""
import pytest

from tests.api.helpers import INVALID, assert_error, make_api, metrics_of, params_of, tags_of


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One server for the module (a new app costs more than the test): each test writes only
    to the run it is given, so tests stay independent."""
    return make_api(tmp_path_factory, "log_batch")


@pytest.fixture(scope="module")
def experiment_id(api):
    return api.create_experiment("exp")


def metric(key="m", value=1.0, timestamp=1, step=0):
    return {"key": key, "value": value, "timestamp": timestamp, "step": step}


def kv(key, value="v"):
    return {"key": key, "value": value}


def history(api, run_id, key="m"):
    return api.ok_get("/metrics/get-history", {"run_id": run_id, "metric_key": key})["metrics"]


def assert_untouched(run: dict) -> None:
    """The run as the `run` fixture made it: no metrics, no params, only its name tag."""
    assert run["data"]["metrics"] == []
    assert run["data"]["params"] == []
    assert tags_of(run) == {"mlflow.runName": "r1"}


def test_log_batch_lands_metrics_params_and_tags_when_batch_is_valid(api, run_id, get_run):
    body = {"run_id": run_id,
            "metrics": [metric("loss", 0.5, 10, 1), metric("loss", 0.4, 20, 2), metric("acc", 0.9, 20, 2)],
            "params": [kv("lr", "0.1"), kv("layers", "3")],
            "tags": [kv("team", "vision")]}
    assert api.ok_post("/runs/log-batch", body) == {}
    run = get_run(run_id)
    assert metrics_of(run) == {"loss": metric("loss", 0.4, 20, 2), "acc": metric("acc", 0.9, 20, 2)}
    assert params_of(run) == {"lr": "0.1", "layers": "3"}
    assert tags_of(run) == {"team": "vision", "mlflow.runName": "r1"}
    assert [(p["step"], p["value"]) for p in history(api, run_id, "loss")] == [(1, 0.5), (2, 0.4)]


def test_log_batch_succeeds_when_batch_is_empty(api, run_id, get_run):
    assert api.ok_post("/runs/log-batch", {"run_id": run_id}) == {}
    assert_untouched(get_run(run_id))


def test_log_batch_accepts_limits_when_batch_is_exactly_full(api, run_id, get_run):
    body = {"run_id": run_id,
            "metrics": [metric("m", float(i), i) for i in range(800)],
            "params": [kv(f"p{i}") for i in range(100)],
            "tags": [kv(f"t{i}") for i in range(100)]}
    api.ok_post("/runs/log-batch", body)
    run = get_run(run_id)
    assert len(run["data"]["params"]) == 100
    assert len(run["data"]["tags"]) == 101
    assert len(history(api, run_id)) == 800


def test_latest_metric_prefers_largest_step_then_timestamp_then_value_when_logged_in_one_batch(
        api, run_id, get_run):
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        metric("by_step", 9.0, 999, 1), metric("by_step", 1.0, 5, 2),
        metric("by_time", 9.0, 10, 3), metric("by_time", 1.0, 20, 3),
        metric("by_value", 1.0, 7, 3), metric("by_value", 2.0, 7, 3), metric("by_value", -3.0, 7, 3),
    ]})
    latest = metrics_of(get_run(run_id))
    assert latest["by_step"] == metric("by_step", 1.0, 5, 2)
    assert latest["by_time"] == metric("by_time", 1.0, 20, 3)
    assert latest["by_value"] == metric("by_value", 2.0, 7, 3)


def test_latest_metric_survives_when_a_later_batch_logs_an_older_step(api, run_id, get_run):
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [metric("m", 1.0, 1, 5)]})
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [metric("m", 2.0, 100, 4)]})
    assert metrics_of(get_run(run_id))["m"] == metric("m", 1.0, 1, 5)


def test_non_finite_values_round_trip_when_sent_as_json_strings(api, run_id, get_run):
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        metric("nan", "NaN"), metric("inf", "Infinity"), metric("neg", "-Infinity")]})
    latest = metrics_of(get_run(run_id))
    assert {k: m["value"] for k, m in latest.items()} == {
        "nan": "NaN", "inf": "Infinity", "neg": "-Infinity"}
    assert history(api, run_id, "nan") == [metric("nan", "NaN")]
    assert history(api, run_id, "inf") == [metric("inf", "Infinity")]
    assert history(api, run_id, "neg") == [metric("neg", "-Infinity")]


def test_log_batch_succeeds_when_param_is_relogged_with_same_value(api, run_id, get_run):
    api.ok_post("/runs/log-batch", {"run_id": run_id, "params": [kv("lr", "0.1")]})
    api.ok_post("/runs/log-batch", {"run_id": run_id, "params": [kv("lr", "0.1"), kv("new", "1")]})
    assert params_of(get_run(run_id)) == {"lr": "0.1", "new": "1"}


def test_log_batch_keeps_last_value_when_tag_key_repeats(api, run_id, get_run):
    api.ok_post("/runs/log-batch", {"run_id": run_id, "tags": [kv("t", "first"), kv("t", "last")]})
    assert tags_of(get_run(run_id))["t"] == "last"


def test_log_batch_renames_run_when_batch_sets_run_name_tag(api, run_id, get_run):
    api.ok_post("/runs/log-batch", {"run_id": run_id, "tags": [kv("mlflow.runName", "batch-name")]})
    assert get_run(run_id)["info"]["run_name"] == "batch-name"


def test_identical_metric_points_are_stored_once_when_logged_twice(api, run_id):
    point = metric("m", 0.5, 10, 1)
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [point, point]})
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [point]})
    assert history(api, run_id) == [point]


@pytest.fixture(scope="module")
def untouched(api, experiment_id):
    """For batches that must be refused: a run named r1 with nothing logged.

    Returns (api, run_id, check) where check() asserts the run is still empty.
    """
    run_id = api.create_run(experiment_id, run_name="r1")["info"]["run_id"]

    def check():
        assert_untouched(api.ok_get("/runs/get", {"run_id": run_id})["run"])
        assert history(api, run_id, "good") == []
        assert history(api, run_id, "m") == []

    return api, run_id, check


class TestLogBatchLimits:
    @pytest.mark.parametrize("body, mention", [
        ({"metrics": [metric("m", 1.0, i) for i in range(1001)]}, "1000 metrics"),
        ({"params": [kv(f"p{i}") for i in range(101)]}, "100 params"),
        ({"tags": [kv(f"t{i}") for i in range(101)]}, "100 tags"),
        ({"metrics": [metric("m", 1.0, i) for i in range(900)],
          "params": [kv(f"p{i}") for i in range(100)], "tags": [kv("t")]}, "1000"),
    ], ids=["metrics", "params", "tags", "total"])
    def test_rejects_all_when_a_limit_is_exceeded(self, untouched, body, mention):
        api, run_id, check = untouched
        assert_error(api.post("/runs/log-batch", {"run_id": run_id, **body}), INVALID, mention)
        check()


class TestLogBatchAllOrNothing:
    """One bad item anywhere in the batch: nothing of the batch lands."""

    @pytest.mark.parametrize("bad, mention", [
        ({"metrics": [metric("k" * 251)]}, "250"),
        ({"params": [kv("k" * 251)]}, "250"),
        ({"tags": [kv("k" * 251)]}, "250"),
        ({"params": [kv("big", "x" * 6001)]}, "6000"),
        ({"tags": [kv("big", "x" * 8001)]}, "8000"),
        ({"metrics": [metric("bad*key")]}, "bad*key"),
        ({"params": [kv("dup", "1"), kv("dup", "1")]}, "dup"),
        ({"metrics": [{"key": "m", "timestamp": 1}]}, "metrics.1.value"),
        ({"metrics": [{"key": "m", "value": 1}]}, "metrics.1.timestamp"),
        ({"metrics": [metric("m", value="lots")]}, "value"),
        ({"params": [{"value": "v"}]}, "params.1.key"),
    ], ids=["metric-key-long", "param-key-long", "tag-key-long", "param-value-long",
            "tag-value-long", "metric-key-chars", "duplicate-param", "metric-no-value",
            "metric-no-timestamp", "metric-value-text", "param-no-key"])
    def test_rejects_whole_batch_when_one_item_is_bad(self, untouched, bad, mention):
        api, run_id, check = untouched
        good = {"metrics": [metric("good")], "params": [kv("good")], "tags": [kv("good")]}
        body = {"run_id": run_id}
        for field in ("metrics", "params", "tags"):
            body[field] = good[field] + bad.get(field, [])
        assert_error(api.post("/runs/log-batch", body), INVALID, mention)
        check()

    def test_rejects_whole_batch_when_a_param_would_change(self, api, run_id, get_run):
        api.ok_post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
        body = {"run_id": run_id, "metrics": [metric("good")],
                "params": [kv("fresh", "1"), kv("lr", "0.2")], "tags": [kv("good")]}
        assert_error(api.post("/runs/log-batch", body), INVALID, "'lr'", "'0.1'", "'0.2'")
        run = get_run(run_id)
        assert params_of(run) == {"lr": "0.1"}
        assert run["data"]["metrics"] == []
        assert "good" not in tags_of(run)

    def test_rejects_whole_batch_when_timestamp_is_beyond_int64(self, untouched):
        """SQLite cannot store it; it must be refused up front, not fail mid-write."""
        api, run_id, check = untouched
        body = {"run_id": run_id, "params": [kv("p")], "tags": [kv("good")],
                "metrics": [metric("m", 1.0, timestamp=2 ** 64)]}
        assert_error(api.post("/runs/log-batch", body), INVALID, "timestamp")
        check()
