"""MLflow 3 logged models: create, get, finalize and delete, under both API prefixes."""
import re

import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, next_ms, now_ms
from tests.api.logged_models.helpers import ModelApi, model_id_of

MODEL_ID = re.compile(r"^m-[0-9a-f]{32}$")


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
