"""What a logged model records: tags, params, and metrics logged with its model_id."""
from tests.api.helpers import INVALID, NOT_FOUND, assert_error, next_ms, tags_of
from tests.api.logged_models.helpers import log_metric, model_id_of


# --- tags --------------------------------------------------------------------------------------

def test_set_tags_adds_and_overwrites_when_keys_are_new_or_existing(api, model):
    model_id = model_id_of(model)
    next_ms()
    status, body = api.patch(f"/logged-models/{model_id}/tags",
                             {"tags": [{"key": "t", "value": "v2"}, {"key": "new", "value": "x"}]})
    assert status == 200, body
    stored = api.get_model(model_id)
    assert tags_of(stored["info"]) == {"t": "v2", "new": "x"}
    assert stored["info"]["last_updated_timestamp_ms"] > stored["info"]["creation_timestamp_ms"]


def test_delete_tag_removes_only_that_key_when_tag_exists(api, experiment_id):
    model_id = model_id_of(api.create_model(
        experiment_id, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]))
    assert api.delete(f"/logged-models/{model_id}/tags/a") == (200, {})
    assert tags_of(api.get_model(model_id)["info"]) == {"b": "2"}


def test_delete_tag_accepts_dotted_keys_when_key_is_an_mlflow_tag(api, experiment_id):
    model_id = model_id_of(api.create_model(experiment_id, tags=[{"key": "mlflow.user", "value": "u"}]))
    assert api.delete(f"/logged-models/{model_id}/tags/mlflow.user") == (200, {})
    assert api.get_model(model_id)["info"]["tags"] == []


class TestSetLoggedModelTagsErrors:
    def test_not_found_when_model_is_unknown(self, api):
        result = api.patch(f"/logged-models/m-{'3' * 32}/tags", {"tags": [{"key": "k", "value": "v"}]})
        assert_error(result, NOT_FOUND, f"m-{'3' * 32}")

    def test_rejects_and_changes_nothing_when_a_tag_has_no_key(self, api, model):
        model_id = model_id_of(model)
        result = api.patch(f"/logged-models/{model_id}/tags",
                           {"tags": [{"key": "ok", "value": "1"}, {"value": "v"}]})
        assert_error(result, INVALID, "'tags.1.key'")
        assert tags_of(api.get_model(model_id)["info"]) == {"t": "v"}


class TestDeleteLoggedModelTagErrors:
    def test_not_found_when_tag_is_unknown(self, api, model):
        model_id = model_id_of(model)
        assert_error(api.delete(f"/logged-models/{model_id}/tags/nope"), NOT_FOUND, "nope")
        assert tags_of(api.get_model(model_id)["info"]) == {"t": "v"}

    def test_not_found_when_model_is_unknown(self, api):
        assert_error(api.delete(f"/logged-models/m-{'4' * 32}/tags/t"), NOT_FOUND, f"m-{'4' * 32}")


# --- params ------------------------------------------------------------------------------------

def test_log_params_adds_new_keys_when_existing_values_are_repeated(api, model):
    model_id = model_id_of(model)
    body = {"params": [{"key": "lr", "value": "0.1"}, {"key": "depth", "value": "3"}]}
    assert api.post(f"/logged-models/{model_id}/params", body) == (200, {})
    params = {p["key"]: p["value"] for p in api.get_model(model_id)["data"]["params"]}
    assert params == {"lr": "0.1", "depth": "3"}


class TestLogLoggedModelParamsErrors:
    def test_rejects_and_logs_nothing_when_a_value_changes(self, api, model):
        model_id = model_id_of(model)
        body = {"params": [{"key": "new", "value": "1"}, {"key": "lr", "value": "0.2"}]}
        assert_error(api.post(f"/logged-models/{model_id}/params", body),
                     INVALID, "lr", "'0.1'", "'0.2'")
        assert api.get_model(model_id)["data"]["params"] == [{"key": "lr", "value": "0.1"}]

    def test_not_found_when_model_is_unknown(self, api):
        result = api.post(f"/logged-models/m-{'5' * 32}/params", {"params": [{"key": "a", "value": "1"}]})
        assert_error(result, NOT_FOUND, f"m-{'5' * 32}")

    def test_rejects_when_a_param_has_no_key(self, api, model):
        result = api.post(f"/logged-models/{model_id_of(model)}/params", {"params": [{"value": "1"}]})
        assert_error(result, INVALID, "'params.0.key'")


# --- metrics logged with a model_id ------------------------------------------------------------

def model_metrics(api, model_id) -> dict:
    return {m["key"]: m for m in api.get_model(model_id)["data"]["metrics"]}


def test_model_metrics_show_latest_point_per_key_when_logged_with_model_id(api, model, run_id):
    model_id = model_id_of(model)
    log_metric(api, run_id, "acc", 0.5, step=0, timestamp=10, model_id=model_id)
    log_metric(api, run_id, "acc", 0.9, step=1, timestamp=20, model_id=model_id)
    log_metric(api, run_id, "acc", 0.1, step=0, timestamp=30, model_id=model_id)
    log_metric(api, run_id, "loss", 0.25, step=0, timestamp=10, model_id=model_id)
    log_metric(api, run_id, "run_only", 1.0)
    assert model_metrics(api, model_id) == {
        "acc": {"key": "acc", "value": 0.9, "timestamp": 20, "step": 1, "model_id": model_id,
                "run_id": run_id},
        "loss": {"key": "loss", "value": 0.25, "timestamp": 10, "step": 0, "model_id": model_id,
                 "run_id": run_id},
    }


def test_model_metrics_include_log_batch_points_when_they_name_the_model(api, experiment_id, run_id):
    mine = model_id_of(api.create_model(experiment_id, name="mine"))
    other = model_id_of(api.create_model(experiment_id, name="other"))
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "f1", "value": 0.7, "timestamp": 5, "step": 2, "model_id": mine},
        {"key": "f1", "value": 0.3, "timestamp": 5, "step": 2, "model_id": other}]})
    assert model_metrics(api, mine)["f1"]["value"] == 0.7
    assert model_metrics(api, other)["f1"]["value"] == 0.3


def test_run_keeps_model_metrics_when_logged_with_model_id(api, model, run_id):
    log_metric(api, run_id, "acc", 0.8, step=4, timestamp=9, model_id=model_id_of(model))
    run = api.ok_get("/runs/get", {"run_id": run_id})["run"]
    assert run["data"]["metrics"] == [{"key": "acc", "value": 0.8, "timestamp": 9, "step": 4}]


def test_log_metric_not_found_when_model_id_is_unknown(api, run_id):
    unknown = f"m-{'a' * 32}"
    result = api.post("/runs/log-metric", {"run_id": run_id, "key": "acc", "value": 1.0,
                                           "timestamp": 1, "model_id": unknown})
    assert_error(result, NOT_FOUND, unknown)


def test_model_metrics_name_the_logging_run_when_logged_from_a_run(api, model, run_id):
    model_id = model_id_of(model)
    log_metric(api, run_id, "acc", 0.8, model_id=model_id)
    assert model_metrics(api, model_id)["acc"].get("run_id") == run_id


def test_model_metrics_keep_dataset_when_logged_with_dataset_name_and_digest(api, model, run_id):
    model_id = model_id_of(model)
    log_metric(api, run_id, "acc", 0.8, model_id=model_id, dataset_name="eval", dataset_digest="abc")
    metric = model_metrics(api, model_id)["acc"]
    assert (metric.get("dataset_name"), metric.get("dataset_digest")) == ("eval", "abc")
