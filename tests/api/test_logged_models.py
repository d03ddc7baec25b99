"""MLflow 3 logged models: create, get, finalize, delete, tags, params, metrics, search, artifacts."""
import re
import uuid

import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, next_ms, now_ms, tags_of
from tests.conftest import Api
from tests.databases import make_app

MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


class ModelApi(Api):
    """Api plus the verbs and shortcuts logged models need (PATCH, DELETE, uploads)."""

    def patch(self, path: str, body=None):
        response = self.client.patch(self.prefix + path, json=body)
        return response.status_code, response.get_json()

    def delete(self, path: str):
        response = self.client.delete(self.prefix + path)
        return response.status_code, response.get_json()

    def create_model(self, experiment_id: str, **body) -> dict:
        return self.ok_post("/logged-models", {"experiment_id": experiment_id, **body})["model"]

    def get_model(self, model_id: str) -> dict:
        return self.ok_get(f"/logged-models/{model_id}")["model"]

    def search(self, experiment_ids: list[str], **body) -> dict:
        return self.ok_post("/logged-models/search", {"experiment_ids": experiment_ids, **body})

    def names(self, experiment_ids: list[str], **body) -> list[str]:
        return [m["info"]["name"] for m in self.search(experiment_ids, **body).get("models", [])]

    def upload(self, experiment_id: str, model_id: str, path: str, data: bytes):
        response = self.client.put(
            f"{ARTIFACTS}/ml_experiment_{experiment_id}/models/{model_id}/artifacts/{path}", data=data)
        return response.status_code, response.get_json()


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One server for the module (a new app costs more than most tests): every test works in
    an experiment of its own, so searches never see another test's models."""
    app = make_app(tmp_path_factory.mktemp("logged_models"))
    return app.test_client()


@pytest.fixture(scope="module")
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


def model_id_of(model: dict) -> str:
    return model["info"]["model_id"]


# --- create / get ------------------------------------------------------------------------------

def test_create_returns_pending_model_with_ids_uri_and_data_when_all_fields_given(api, experiment_id):
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    before = now_ms()
    created = api.create_model(experiment_id, name="clf", model_type="sklearn", source_run_id=run_id,
                               params=[{"key": "b", "value": "2"}, {"key": "a", "value": "1"}],
                               tags=[{"key": "t", "value": "v"}])
    after = now_ms()
    info = created["info"]
    model_id = info["model_id"]
    assert MODEL_ID.match(model_id), model_id
    assert before <= info["creation_timestamp_ms"] <= after
    assert info == {
        "model_id": model_id, "experiment_id": experiment_id, "name": "clf",
        "model_type": "sklearn", "source_run_id": run_id, "status": "LOGGED_MODEL_PENDING",
        "artifact_uri": f"mlflow-artifacts:/ml_experiment_{experiment_id}/models/{model_id}/artifacts",
        "tags": [{"key": "t", "value": "v"}],
        "creation_timestamp_ms": info["creation_timestamp_ms"],
        "last_updated_timestamp_ms": info["creation_timestamp_ms"],
    }
    assert sorted(created["data"]["params"], key=lambda p: p["key"]) == [
        {"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    assert created["data"]["metrics"] == []


def test_create_stores_a_param_once_when_it_is_repeated_with_the_same_value(api, experiment_id):
    created = api.create_model(experiment_id, params=[{"key": "lr", "value": "0.1"},
                                                      {"key": "lr", "value": "0.1"}])
    assert created["data"]["params"] == [{"key": "lr", "value": "0.1"}]


def test_get_returns_what_create_returned_when_model_exists(api, model):
    assert api.get_model(model_id_of(model)) == model


def test_create_omits_optional_fields_when_only_experiment_is_given(api, experiment_id):
    info = api.create_model(experiment_id)["info"]
    assert not {"model_type", "source_run_id", "status_message"} & set(info)
    assert isinstance(info["name"], str) and info["name"]
    assert info["tags"] == []


def test_create_generates_a_name_when_name_is_empty(api, experiment_id):
    name = api.create_model(experiment_id, name="")["info"]["name"]
    assert isinstance(name, str) and name


def test_create_makes_distinct_ids_when_called_twice_with_the_same_name(api, experiment_id):
    first = model_id_of(api.create_model(experiment_id, name="same"))
    second = model_id_of(api.create_model(experiment_id, name="same"))
    assert first != second
    assert sorted(api.names([experiment_id])) == ["same", "same"]


def test_create_places_artifacts_under_experiment_zero_when_default_experiment_is_used(api):
    info = api.create_model("0", name="in-default")["info"]
    assert info["experiment_id"] == "0"
    assert info["artifact_uri"] == f"mlflow-artifacts:/ml_experiment_0/models/{info['model_id']}/artifacts"


class TestCreateLoggedModelErrors:
    def test_rejects_when_experiment_id_is_missing(self, api):
        assert_error(api.post("/logged-models", {"name": "x"}), INVALID, "'experiment_id'")

    def test_rejects_when_experiment_id_is_empty(self, api):
        assert_error(api.post("/logged-models", {"experiment_id": ""}), INVALID, "'experiment_id'")

    def test_not_found_when_experiment_is_unknown(self, api):
        assert_error(api.post("/logged-models", {"experiment_id": "98765"}), NOT_FOUND, "98765")

    def test_rejects_when_experiment_is_deleted(self, api, experiment_id):
        api.ok_post("/experiments/delete", {"experiment_id": experiment_id})
        assert_error(api.post("/logged-models", {"experiment_id": experiment_id}), INVALID)
        api.ok_post("/experiments/restore", {"experiment_id": experiment_id})
        assert api.names([experiment_id]) == []

    def test_not_found_when_source_run_is_unknown(self, api, experiment_id):
        """Stricter than MLflow's store (which stores any source_run_id): the run must exist."""
        result = api.post("/logged-models", {"experiment_id": experiment_id, "source_run_id": "f" * 32})
        assert_error(result, NOT_FOUND, "f" * 32)
        assert api.names([experiment_id]) == []

    def test_rejects_when_params_is_not_a_list(self, api, experiment_id):
        result = api.post("/logged-models", {"experiment_id": experiment_id, "params": "lr=1"})
        assert_error(result, INVALID, "'params'")

    def test_rejects_when_a_param_key_repeats_with_another_value(self, api, experiment_id):
        """Found by the fuzzer: the duplicate hit the table's unique key (500 IntegrityError)."""
        result = api.post("/logged-models", {"experiment_id": experiment_id, "params": [
            {"key": "lr", "value": "0.1"}, {"key": "lr", "value": "0.2"}]})
        assert_error(result, INVALID, "'lr'", "'0.1'", "'0.2'")
        assert api.names([experiment_id]) == []

    def test_rejects_when_a_tag_has_no_key(self, api, experiment_id):
        result = api.post("/logged-models", {"experiment_id": experiment_id,
                                             "tags": [{"value": "v"}]})
        assert_error(result, INVALID, "'tags.0.key'")
        assert api.names([experiment_id]) == []

    def test_rejects_when_name_contains_a_slash(self, api, experiment_id):
        result = api.post("/logged-models", {"experiment_id": experiment_id, "name": "a/b"})
        assert_error(result, INVALID, "a/b")


class TestGetLoggedModelErrors:
    def test_not_found_when_model_is_unknown(self, api):
        assert_error(api.get(f"/logged-models/m-{'0' * 32}"), NOT_FOUND, f"m-{'0' * 32}")

    def test_returns_deleted_model_when_allow_deleted_is_true(self, api, model):
        model_id = model_id_of(model)
        api.delete(f"/logged-models/{model_id}")
        status, body = api.get(f"/logged-models/{model_id}", {"allow_deleted": "true"})
        assert status == 200, body
        assert body["model"]["info"]["model_id"] == model_id


# --- finalize ----------------------------------------------------------------------------------

def test_finalize_marks_model_ready_and_touches_update_time_when_status_is_ready(api, model):
    model_id = model_id_of(model)
    next_ms()
    status, body = api.patch(f"/logged-models/{model_id}", {"status": "LOGGED_MODEL_READY"})
    assert status == 200, body
    info = body["model"]["info"]
    assert info["status"] == "LOGGED_MODEL_READY"
    assert info["creation_timestamp_ms"] == model["info"]["creation_timestamp_ms"]
    assert info["last_updated_timestamp_ms"] > info["creation_timestamp_ms"]
    assert api.get_model(model_id) == body["model"]


def test_finalize_records_failure_when_status_is_upload_failed(api, model):
    model_id = model_id_of(model)
    status, body = api.patch(f"/logged-models/{model_id}", {"status": "LOGGED_MODEL_UPLOAD_FAILED"})
    assert status == 200, body
    assert api.get_model(model_id)["info"]["status"] == "LOGGED_MODEL_UPLOAD_FAILED"


def test_finalize_accepts_enum_number_when_status_is_numeric(api, model):
    """Protobuf JSON may carry an enum as its number: LOGGED_MODEL_READY = 2."""
    status, body = api.patch(f"/logged-models/{model_id_of(model)}", {"status": 2})
    assert status == 200, body
    assert body["model"]["info"]["status"] == "LOGGED_MODEL_READY"


class TestFinalizeLoggedModelErrors:
    @pytest.mark.parametrize("bad", ["LOGGED_MODEL_PENDING", "LOGGED_MODEL_STATUS_UNSPECIFIED"])
    def test_rejects_and_keeps_pending_when_status_is_not_final(self, api, model, bad):
        model_id = model_id_of(model)
        assert_error(api.patch(f"/logged-models/{model_id}", {"status": bad}), INVALID, bad)
        assert api.get_model(model_id)["info"]["status"] == "LOGGED_MODEL_PENDING"

    def test_rejects_when_status_is_not_an_enum_name(self, api, model):
        assert_error(api.patch(f"/logged-models/{model_id_of(model)}", {"status": "DONE"}),
                     INVALID, "'status'", "DONE")

    def test_rejects_when_status_is_missing(self, api, model):
        assert_error(api.patch(f"/logged-models/{model_id_of(model)}", {}), INVALID, "'status'")

    def test_not_found_when_model_is_unknown(self, api):
        result = api.patch(f"/logged-models/m-{'1' * 32}", {"status": "LOGGED_MODEL_READY"})
        assert_error(result, NOT_FOUND, f"m-{'1' * 32}")


# --- delete ------------------------------------------------------------------------------------

def test_delete_hides_model_from_get_and_search_when_model_exists(api, experiment_id):
    gone = model_id_of(api.create_model(experiment_id, name="gone"))
    api.create_model(experiment_id, name="kept")
    assert api.delete(f"/logged-models/{gone}") == (200, {})
    assert_error(api.get(f"/logged-models/{gone}"), NOT_FOUND, gone)
    assert api.names([experiment_id]) == ["kept"]


class TestDeleteLoggedModelErrors:
    def test_not_found_when_model_is_unknown(self, api):
        assert_error(api.delete(f"/logged-models/m-{'2' * 32}"), NOT_FOUND, f"m-{'2' * 32}")

    def test_finalize_is_not_found_when_model_is_deleted(self, api, model):
        model_id = model_id_of(model)
        api.delete(f"/logged-models/{model_id}")
        result = api.patch(f"/logged-models/{model_id}", {"status": "LOGGED_MODEL_READY"})
        assert_error(result, NOT_FOUND, model_id)


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

@pytest.fixture
def run_id(api, experiment_id):
    return api.create_run(experiment_id)["info"]["run_id"]


def log_metric(api, run_id, key, value, *, step=0, timestamp=1, **extra):
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": key, "value": value,
                                     "timestamp": timestamp, "step": step, **extra})


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


# --- search ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def zoo(api):
    """Read-only: three models created a millisecond apart (alpha oldest) with distinct
    attributes and data, in an experiment of their own. Tests that write use their own."""
    experiment_id = api.create_experiment("zoo")
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    ids = {}
    specs = [
        ("alpha", {"model_type": "sklearn", "source_run_id": run_id,
                   "params": [{"key": "lr", "value": "0.1"}], "tags": [{"key": "team", "value": "a"}]}),
        ("beta", {"model_type": "torch", "params": [{"key": "lr", "value": "0.2"}],
                  "tags": [{"key": "team", "value": "b"}]}),
        ("gamma", {"model_type": "sklearn", "params": [{"key": "lr", "value": "0.3"}]}),
    ]
    for name, body in specs:
        ids[name] = model_id_of(api.create_model(experiment_id, name=name, **body))
        next_ms()
    api.patch(f"/logged-models/{ids['beta']}", {"status": "LOGGED_MODEL_READY"})
    log_metric(api, run_id, "acc", 0.6, model_id=ids["alpha"])
    log_metric(api, run_id, "acc", 0.95, model_id=ids["beta"])
    created = {n: api.get_model(i)["info"]["creation_timestamp_ms"] for n, i in ids.items()}
    return {"experiment_id": experiment_id, "run_id": run_id, "ids": ids, "created": created}


def test_search_returns_newest_first_with_full_models_when_no_order_is_given(api, zoo):
    found = api.search([zoo["experiment_id"]])
    assert [m["info"]["name"] for m in found["models"]] == ["gamma", "beta", "alpha"]
    assert "next_page_token" not in found
    assert found["models"][1] == api.get_model(zoo["ids"]["beta"])


def test_search_spans_experiments_when_several_ids_are_given(api, zoo):
    other = api.create_experiment(f"exp-{uuid.uuid4().hex}")
    api.create_model(other, name="elsewhere")
    assert sorted(api.names([zoo["experiment_id"], other])) == ["alpha", "beta", "elsewhere", "gamma"]
    assert api.names([other]) == ["elsewhere"]


@pytest.mark.parametrize("filter_string, expected", [
    ("name = 'beta'", ["beta"]),
    ("name LIKE '%a'", ["gamma", "beta", "alpha"]),
    ("name != 'beta'", ["gamma", "alpha"]),
    ("attributes.name ILIKE 'ALP%'", ["alpha"]),
    ("model_type = 'sklearn'", ["gamma", "alpha"]),
    ("status = 'LOGGED_MODEL_READY'", ["beta"]),
    ("status = 'LOGGED_MODEL_PENDING'", ["gamma", "alpha"]),
    ("params.lr = '0.2'", ["beta"]),
    ("params.lr != '0.2'", ["gamma", "alpha"]),
    ("tags.team = 'a'", ["alpha"]),
    ("tags.team LIKE '%'", ["beta", "alpha"]),
    ("metrics.acc > 0.9", ["beta"]),
    ("metrics.acc <= 0.6", ["alpha"]),
    ("metrics.missing > 0", []),
    ("model_type = 'sklearn' AND params.lr = '0.3'", ["gamma"]),
    ("name IN ('alpha', 'gamma')", ["gamma", "alpha"]),
])
def test_search_filters_models_when_filter_names_an_attribute_param_tag_or_metric(
        api, zoo, filter_string, expected):
    assert api.names([zoo["experiment_id"]], filter=filter_string) == expected


def test_search_filters_by_id_and_source_run_when_filter_names_them(api, zoo):
    beta = zoo["ids"]["beta"]
    assert api.names([zoo["experiment_id"]], filter=f"model_id = '{beta}'") == ["beta"]
    assert api.names([zoo["experiment_id"]], filter=f"source_run_id = '{zoo['run_id']}'") == ["alpha"]


def test_search_filters_by_creation_time_when_filter_compares_timestamps(api, zoo):
    created = zoo["created"]
    assert api.names([zoo["experiment_id"]],
                     filter=f"creation_timestamp > {created['alpha']}") == ["gamma", "beta"]
    assert api.names([zoo["experiment_id"]],
                     filter=f"creation_timestamp <= {created['beta']}") == ["beta", "alpha"]


@pytest.mark.parametrize("ascending, expected", [(False, ["gamma", "beta", "alpha"]),
                                                 (True, ["alpha", "beta", "gamma"])])
def test_search_orders_by_name_when_order_by_names_the_field(api, zoo, ascending, expected):
    order_by = [{"field_name": "name", "ascending": ascending}]
    assert api.names([zoo["experiment_id"]], order_by=order_by) == expected


def test_search_breaks_ties_newest_first_when_order_by_field_is_equal(api, zoo):
    order_by = [{"field_name": "model_type", "ascending": True}]
    assert api.names([zoo["experiment_id"]], order_by=order_by) == ["gamma", "alpha", "beta"]


def test_search_pages_through_every_model_once_when_max_results_is_small(api, experiment_id):
    for i in range(5):
        api.create_model(experiment_id, name=f"m{i}")
        next_ms()
    seen, token, pages = [], None, 0
    while True:
        body = {"max_results": 2, **({"page_token": token} if token else {})}
        page = api.search([experiment_id], **body)
        pages += 1
        seen += [m["info"]["name"] for m in page["models"]]
        token = page.get("next_page_token")
        if not token:
            break
        assert len(page["models"]) == 2
    assert pages == 3
    assert seen == ["m4", "m3", "m2", "m1", "m0"]


def test_search_returns_no_models_when_experiment_has_none(api, experiment_id):
    assert api.search([experiment_id]).get("models", []) == []


def test_search_skips_deleted_models_when_they_match_the_filter(api, experiment_id):
    gone = model_id_of(api.create_model(experiment_id, name="gone", model_type="sklearn"))
    api.create_model(experiment_id, name="kept", model_type="sklearn")
    api.delete(f"/logged-models/{gone}")
    assert api.names([experiment_id], filter="model_type = 'sklearn'") == ["kept"]


class TestSearchLoggedModelsErrors:
    def test_not_found_when_an_experiment_is_unknown(self, api, experiment_id):
        result = api.post("/logged-models/search", {"experiment_ids": [experiment_id, "97531"]})
        assert_error(result, NOT_FOUND, "97531")

    @pytest.mark.parametrize("bad", [
        "bogus = 'x'",            # unknown attribute
        "name = ",                # no value
        "name = 'unclosed",       # unclosed quote
        "metrics.acc > 'high'",   # metric compared with a string
        "name > 5",               # string attribute compared with a number
        "name = 'a' OR name = 'b'",
    ])
    def test_rejects_when_filter_is_malformed(self, api, experiment_id, bad):
        assert_error(api.post("/logged-models/search",
                              {"experiment_ids": [experiment_id], "filter": bad}), INVALID)

    def test_rejects_when_order_by_field_is_unknown(self, api, experiment_id):
        result = api.post("/logged-models/search", {"experiment_ids": [experiment_id],
                                                    "order_by": [{"field_name": "bogus"}]})
        assert_error(result, INVALID, "bogus")

    def test_rejects_when_page_token_was_not_issued_by_the_server(self, api, experiment_id):
        result = api.post("/logged-models/search", {"experiment_ids": [experiment_id],
                                                    "page_token": "garbage"})
        assert_error(result, INVALID, "garbage")

    def test_rejects_when_max_results_is_negative(self, api, experiment_id):
        result = api.post("/logged-models/search", {"experiment_ids": [experiment_id],
                                                    "max_results": -1})
        assert_error(result, INVALID, "max_results")

    def test_rejects_clearly_when_datasets_are_given(self, api, experiment_id):
        """Dataset-scoped search is not implemented: refused out loud rather than ignored."""
        result = api.post("/logged-models/search", {"experiment_ids": [experiment_id],
                                                    "datasets": [{"dataset_name": "eval"}]})
        assert_error(result, INVALID, "dataset")

    def test_rejects_when_experiment_ids_are_missing(self, api):
        assert_error(api.post("/logged-models/search", {}), INVALID, "experiment_ids")


class TestSearchLoggedModelsMlflowParity:
    """What MLflow's SqlAlchemyStore.search_logged_models does and mlexp does not (yet)."""

    def test_orders_by_creation_time_when_field_is_the_ui_alias(self, api, zoo):
        order_by = [{"field_name": "creation_time", "ascending": True}]
        assert api.names([zoo["experiment_id"]], order_by=order_by) == ["alpha", "beta", "gamma"]

    def test_orders_by_metric_when_field_is_a_metric(self, api, zoo):
        order_by = [{"field_name": "metrics.acc", "ascending": False}]
        assert api.names([zoo["experiment_id"]], order_by=order_by) == ["beta", "alpha", "gamma"]

    def test_puts_models_without_the_field_last_when_ordering_ascending(self, api, experiment_id):
        api.create_model(experiment_id, name="untyped")
        api.create_model(experiment_id, name="typed", model_type="sklearn")
        order_by = [{"field_name": "model_type", "ascending": True}]
        assert api.names([experiment_id], order_by=order_by) == ["typed", "untyped"]

    def test_returns_models_when_max_results_is_above_one_thousand(self, api, zoo):
        assert len(api.search([zoo["experiment_id"]], max_results=5000)["models"]) == 3

    def test_filters_params_with_in_when_a_list_is_given(self, api, zoo):
        assert api.names([zoo["experiment_id"]], filter="params.lr IN ('0.1', '0.3')") == ["gamma", "alpha"]

    def test_matches_any_logged_point_when_filtering_on_a_metric(self, api, model, run_id, experiment_id):
        model_id = model_id_of(model)
        log_metric(api, run_id, "acc", 0.5, step=0, model_id=model_id)
        log_metric(api, run_id, "acc", 0.9, step=1, model_id=model_id)
        assert api.names([experiment_id], filter="metrics.acc < 0.6") == ["base"]


# --- artifacts ---------------------------------------------------------------------------------

def test_list_artifacts_shows_uploaded_files_relative_to_model_root_when_files_exist(
        api, experiment_id, model):
    model_id = model_id_of(model)
    assert api.upload(experiment_id, model_id, "MLmodel", b"flavors: {}\n") == (200, {})
    assert api.upload(experiment_id, model_id, "data/model.pkl", b"12345") == (200, {})
    root = api.ok_get(f"/logged-models/{model_id}/artifacts/directories")
    assert root == {"root_uri": model["info"]["artifact_uri"],
                    "files": [{"path": "MLmodel", "is_dir": False, "file_size": 12},
                              {"path": "data", "is_dir": True}]}
    sub = api.ok_get(f"/logged-models/{model_id}/artifacts/directories",
                     {"artifact_directory_path": "data"})
    assert sub["files"] == [{"path": "data/model.pkl", "is_dir": False, "file_size": 5}]


def test_uploaded_file_downloads_unchanged_when_fetched_by_its_artifact_path(api, client, experiment_id, model):
    model_id = model_id_of(model)
    api.upload(experiment_id, model_id, "conda.yaml", b"name: env\n")
    response = client.get(f"{ARTIFACTS}/ml_experiment_{experiment_id}/models/{model_id}/artifacts/conda.yaml")
    assert response.status_code == 200
    assert response.data == b"name: env\n"


def test_list_artifacts_is_empty_when_nothing_was_uploaded(api, model):
    listed = api.ok_get(f"/logged-models/{model_id_of(model)}/artifacts/directories")
    assert listed.get("files", []) == []
    assert listed["root_uri"] == model["info"]["artifact_uri"]


class TestLoggedModelArtifactsErrors:
    def test_upload_not_found_when_model_id_is_unknown(self, api, client, experiment_id):
        unknown = f"m-{'6' * 32}"
        assert_error(api.upload(experiment_id, unknown, "MLmodel", b"x"), NOT_FOUND, unknown)
        response = client.get(ARTIFACTS, query_string={"path": f"ml_experiment_{experiment_id}/models"})
        assert response.get_json().get("files", []) == []

    def test_upload_not_found_when_model_is_deleted(self, api, experiment_id, model):
        model_id = model_id_of(model)
        api.delete(f"/logged-models/{model_id}")
        assert_error(api.upload(experiment_id, model_id, "MLmodel", b"x"), NOT_FOUND, model_id)

    def test_upload_rejected_when_model_belongs_to_another_experiment(self, api, model):
        model_id = model_id_of(model)
        assert_error(api.upload("0", model_id, "MLmodel", b"x"), INVALID, model_id)
        assert api.ok_get(f"/logged-models/{model_id}/artifacts/directories").get("files", []) == []

    def test_list_not_found_when_model_is_unknown(self, api):
        unknown = f"m-{'7' * 32}"
        assert_error(api.get(f"/logged-models/{unknown}/artifacts/directories"), NOT_FOUND, unknown)

    def test_list_rejected_when_path_climbs_out_of_the_model(self, api, model):
        result = api.get(f"/logged-models/{model_id_of(model)}/artifacts/directories",
                         {"artifact_directory_path": "../.."})
        assert_error(result, INVALID, "..")


# --- the same routes under /ajax-api -----------------------------------------------------------

def test_every_logged_model_route_answers_when_called_under_ajax_api(client, experiment_id):
    ajax = ModelApi(client, prefix="/ajax-api/2.0/mlflow")
    model = ajax.create_model(experiment_id, name="via-ajax", params=[{"key": "a", "value": "1"}])
    model_id = model_id_of(model)
    assert ajax.get_model(model_id) == model
    assert ajax.patch(f"/logged-models/{model_id}/tags", {"tags": [{"key": "k", "value": "v"}]})[0] == 200
    assert ajax.delete(f"/logged-models/{model_id}/tags/k") == (200, {})
    assert ajax.post(f"/logged-models/{model_id}/params", {"params": [{"key": "b", "value": "2"}]}) == (200, {})
    status, body = ajax.patch(f"/logged-models/{model_id}", {"status": "LOGGED_MODEL_READY"})
    assert (status, body["model"]["info"]["status"]) == (200, "LOGGED_MODEL_READY")
    assert ajax.names([experiment_id], filter="params.b = '2'") == ["via-ajax"]
    ajax.upload(experiment_id, model_id, "MLmodel", b"x")
    listed = ajax.ok_get(f"/logged-models/{model_id}/artifacts/directories")
    assert listed["files"] == [{"path": "MLmodel", "is_dir": False, "file_size": 1}]
    assert ajax.delete(f"/logged-models/{model_id}") == (200, {})
    assert_error(ajax.get(f"/logged-models/{model_id}"), NOT_FOUND, model_id)
