"""Experiment endpoints: create, get, get-by-name, update, delete, restore, tags."""
import pytest

from tests.api.helpers import (EXISTS, INVALID, NOT_FOUND, assert_error, make_api, next_ms, now_ms,
                               tags_of)


def get_experiment(api, experiment_id: str) -> dict:
    return api.ok_get("/experiments/get", {"experiment_id": experiment_id})["experiment"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """For error cases, whose requests must all fail: "taken" (active) and "ghost" (deleted),
    both tagged k=v. Returns (api, {name: id})."""
    api = make_api(tmp_path_factory, "experiment_errors")
    ids = {name: api.create_experiment(name, tags=[{"key": "k", "value": "v"}])
           for name in ("taken", "ghost")}
    api.ok_post("/experiments/delete", {"experiment_id": ids["ghost"]})
    return api, ids


# --- create ---------------------------------------------------------------------------------

def test_default_experiment_exists_when_server_is_new(api):
    experiment = get_experiment(api, "0")
    assert experiment["name"] == "Default"
    assert experiment["lifecycle_stage"] == "active"
    assert experiment["artifact_location"] == "mlflow-artifacts:/ml_experiment_0"


def test_create_returns_string_ids_counting_up_when_experiments_are_created(api):
    first = api.ok_post("/experiments/create", {"name": "first"})
    second = api.ok_post("/experiments/create", {"name": "second"})
    assert first == {"experiment_id": "1"}
    assert second == {"experiment_id": "2"}


def test_create_stores_name_tags_and_times_when_created(api):
    before = now_ms()
    experiment_id = api.create_experiment(
        "tagged", tags=[{"key": "team", "value": "vision"}, {"key": "stage", "value": "dev"}])
    after = now_ms()
    experiment = get_experiment(api, experiment_id)
    assert experiment["experiment_id"] == experiment_id
    assert experiment["name"] == "tagged"
    assert experiment["lifecycle_stage"] == "active"
    assert experiment["artifact_location"] == f"mlflow-artifacts:/ml_experiment_{experiment_id}"
    assert tags_of(experiment) == {"team": "vision", "stage": "dev"}
    assert before <= experiment["creation_time"] <= after
    assert experiment["last_update_time"] == experiment["creation_time"]


def test_create_ignores_unknown_fields_when_newer_client_sends_them(api):
    experiment_id = api.ok_post("/experiments/create",
                                {"name": "tolerant", "surprise": {"nested": [1, 2]}})["experiment_id"]
    assert get_experiment(api, experiment_id)["name"] == "tolerant"


class TestCreateExperimentErrors:
    def test_rejects_when_name_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {}), INVALID, "'name'")

    def test_rejects_when_name_is_empty(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": ""}), INVALID, "name")

    def test_rejects_when_name_is_not_a_string(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": 42}), INVALID, "'name'")

    def test_rejects_when_name_is_too_long(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": "n" * 501}), INVALID, "500")

    def test_rejects_when_name_is_taken(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": "taken"}), EXISTS, "taken")

    def test_rejects_when_name_belongs_to_a_deleted_experiment(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": "ghost"}), EXISTS, "ghost", "deleted")

    def test_rejects_when_artifact_location_is_chosen(self, seeded):
        api, _ = seeded
        result = api.post("/experiments/create", {"name": "elsewhere", "artifact_location": "s3://b/p"})
        assert_error(result, INVALID, "artifact_location")
        assert_error(api.get("/experiments/get-by-name", {"experiment_name": "elsewhere"}), NOT_FOUND)

    def test_rejects_when_tag_key_is_too_long(self, seeded):
        api, _ = seeded
        result = api.post("/experiments/create",
                          {"name": "long-key", "tags": [{"key": "k" * 251, "value": "v"}]})
        assert_error(result, INVALID, "250")

    def test_rejects_when_tag_value_is_too_long(self, seeded):
        api, _ = seeded
        result = api.post("/experiments/create",
                          {"name": "long-value", "tags": [{"key": "k", "value": "v" * 20001}]})
        assert_error(result, INVALID, "'k'", "20000")

    def test_rejects_when_tags_is_not_a_list(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": "tag-text", "tags": "team=vision"}),
                     INVALID, "'tags'")

    def test_rejects_when_tag_has_no_key(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/create", {"name": "keyless", "tags": [{"value": "v"}]}),
                     INVALID, "tags.0.key")

    def test_rejects_as_invalid_when_tag_keys_repeat(self, seeded):
        api, _ = seeded
        result = api.post("/experiments/create", {"name": "dup", "tags": [
            {"key": "a", "value": "1"}, {"key": "a", "value": "2"}]})
        assert_error(result, INVALID, "'a'")


# --- get / get-by-name ----------------------------------------------------------------------

def test_get_by_name_returns_experiment_when_name_matches_exactly(api):
    experiment_id = api.create_experiment("Exact Name")
    api.create_experiment("exact name")
    found = api.ok_get("/experiments/get-by-name", {"experiment_name": "Exact Name"})["experiment"]
    assert found["experiment_id"] == experiment_id
    assert found["name"] == "Exact Name"


def test_get_by_name_returns_deleted_experiment_when_it_was_deleted(api):
    experiment_id = api.create_experiment("gone")
    api.ok_post("/experiments/delete", {"experiment_id": experiment_id})
    found = api.ok_get("/experiments/get-by-name", {"experiment_name": "gone"})["experiment"]
    assert (found["experiment_id"], found["lifecycle_stage"]) == (experiment_id, "deleted")


def test_get_returns_deleted_experiment_when_it_was_deleted(api):
    experiment_id = api.create_experiment("gone")
    api.ok_post("/experiments/delete", {"experiment_id": experiment_id})
    assert get_experiment(api, experiment_id)["lifecycle_stage"] == "deleted"


class TestGetExperimentErrors:
    def test_not_found_when_id_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.get("/experiments/get", {"experiment_id": "999"}), NOT_FOUND, "999")

    def test_rejects_as_invalid_when_id_is_not_an_integer(self, seeded):
        """As MLflow 3.17's server answers (mlexp answered RESOURCE_DOES_NOT_EXIST before)."""
        api, _ = seeded
        assert_error(api.get("/experiments/get", {"experiment_id": "abc"}), INVALID, "'abc'", "integer")

    def test_rejects_when_id_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.get("/experiments/get"), INVALID, "'experiment_id'")


class TestGetExperimentByNameErrors:
    def test_not_found_when_name_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.get("/experiments/get-by-name", {"experiment_name": "nope"}),
                     NOT_FOUND, "'nope'")

    def test_rejects_when_name_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.get("/experiments/get-by-name"), INVALID, "'experiment_name'")


# --- update (rename) ------------------------------------------------------------------------

def test_update_renames_when_new_name_is_free(api):
    experiment_id = api.create_experiment("old")
    created = get_experiment(api, experiment_id)
    next_ms()
    assert api.ok_post("/experiments/update",
                       {"experiment_id": experiment_id, "new_name": "new"}) == {}
    renamed = get_experiment(api, experiment_id)
    assert renamed["name"] == "new"
    assert renamed["last_update_time"] > created["last_update_time"]
    assert renamed["creation_time"] == created["creation_time"]
    found = api.ok_get("/experiments/get-by-name", {"experiment_name": "new"})["experiment"]
    assert found["experiment_id"] == experiment_id
    assert_error(api.get("/experiments/get-by-name", {"experiment_name": "old"}), NOT_FOUND)


def test_update_succeeds_when_new_name_equals_current_name(api):
    experiment_id = api.create_experiment("same")
    api.ok_post("/experiments/update", {"experiment_id": experiment_id, "new_name": "same"})
    assert get_experiment(api, experiment_id)["name"] == "same"


class TestUpdateExperimentErrors:
    def test_rejects_when_new_name_is_taken(self, api):
        experiment_id = api.create_experiment("mine")
        api.create_experiment("theirs")
        result = api.post("/experiments/update", {"experiment_id": experiment_id, "new_name": "theirs"})
        assert_error(result, EXISTS, "theirs")
        assert get_experiment(api, experiment_id)["name"] == "mine"

    def test_not_found_when_experiment_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/update", {"experiment_id": "999", "new_name": "x"}),
                     NOT_FOUND, "999")

    def test_rejects_when_experiment_is_deleted(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/update", {"experiment_id": ids["ghost"], "new_name": "x"})
        assert_error(result, INVALID, "non-active")
        assert get_experiment(api, ids["ghost"])["name"] == "ghost"

    def test_rejects_when_new_name_is_empty(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/update", {"experiment_id": ids["taken"], "new_name": ""})
        assert_error(result, INVALID, "name")

    def test_rejects_when_new_name_is_missing(self, seeded):
        api, ids = seeded
        assert_error(api.post("/experiments/update", {"experiment_id": ids["taken"]}),
                     INVALID, "'new_name'")


# --- delete / restore -----------------------------------------------------------------------

def test_delete_is_soft_and_takes_runs_along_when_experiment_is_deleted(api, get_run):
    experiment_id = api.create_experiment("doomed")
    run_ids = [api.create_run(experiment_id)["info"]["run_id"] for _ in range(2)]
    other = api.create_run("0")["info"]["run_id"]

    assert api.ok_post("/experiments/delete", {"experiment_id": experiment_id}) == {}

    experiment = get_experiment(api, experiment_id)
    assert experiment["lifecycle_stage"] == "deleted"
    assert [get_run(r)["info"]["lifecycle_stage"] for r in run_ids] == ["deleted", "deleted"]
    assert get_run(other)["info"]["lifecycle_stage"] == "active"
    active = api.ok_post("/experiments/search", {})["experiments"]
    assert experiment_id not in [e["experiment_id"] for e in active]


def test_restore_brings_experiment_and_its_runs_back_when_it_was_deleted(api, get_run):
    experiment_id = api.create_experiment("phoenix")
    run_ids = [api.create_run(experiment_id)["info"]["run_id"] for _ in range(2)]
    api.ok_post("/experiments/delete", {"experiment_id": experiment_id})

    assert api.ok_post("/experiments/restore", {"experiment_id": experiment_id}) == {}

    assert get_experiment(api, experiment_id)["lifecycle_stage"] == "active"
    assert [get_run(r)["info"]["lifecycle_stage"] for r in run_ids] == ["active", "active"]
    found = api.ok_post("/runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert sorted(r["info"]["run_id"] for r in found) == sorted(run_ids)


def test_restore_keeps_run_deleted_when_it_was_deleted_before_the_experiment(api, get_run):
    """mlexp's contract: only the runs deleted together with the experiment come back."""
    experiment_id = api.create_experiment("partial")
    kept = api.create_run(experiment_id)["info"]["run_id"]
    dropped = api.create_run(experiment_id)["info"]["run_id"]
    api.ok_post("/runs/delete", {"run_id": dropped})
    next_ms()
    api.ok_post("/experiments/delete", {"experiment_id": experiment_id})
    api.ok_post("/experiments/restore", {"experiment_id": experiment_id})
    assert get_run(kept)["info"]["lifecycle_stage"] == "active"
    assert get_run(dropped)["info"]["lifecycle_stage"] == "deleted"


class TestDeleteExperimentErrors:
    def test_not_found_when_experiment_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/delete", {"experiment_id": "999"}), NOT_FOUND, "999")

    def test_rejects_when_experiment_is_default(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/delete", {"experiment_id": "0"}), INVALID, "'0'")
        assert get_experiment(api, "0")["lifecycle_stage"] == "active"

    def test_rejects_when_id_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/delete", {}), INVALID, "'experiment_id'")

    def test_not_found_when_experiment_is_already_deleted(self, seeded):
        api, ids = seeded
        assert_error(api.post("/experiments/delete", {"experiment_id": ids["ghost"]}),
                     NOT_FOUND, ids["ghost"])


class TestRestoreExperimentErrors:
    def test_not_found_when_experiment_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/restore", {"experiment_id": "999"}), NOT_FOUND, "999")

    def test_rejects_when_id_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.post("/experiments/restore", {}), INVALID, "'experiment_id'")

    def test_not_found_when_experiment_is_active(self, seeded):
        api, ids = seeded
        assert_error(api.post("/experiments/restore", {"experiment_id": ids["taken"]}),
                     NOT_FOUND, ids["taken"])


# --- experiment tags ------------------------------------------------------------------------

def test_set_experiment_tag_adds_then_overwrites_when_key_repeats(api):
    experiment_id = api.create_experiment("tags")
    body = {"experiment_id": experiment_id, "key": "owner", "value": "ada"}
    assert api.ok_post("/experiments/set-experiment-tag", body) == {}
    assert tags_of(get_experiment(api, experiment_id)) == {"owner": "ada"}
    api.ok_post("/experiments/set-experiment-tag", {**body, "value": "grace"})
    assert tags_of(get_experiment(api, experiment_id)) == {"owner": "grace"}


def test_set_experiment_tag_stores_empty_value_when_value_is_omitted(api):
    experiment_id = api.create_experiment("tags")
    api.ok_post("/experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "flag"})
    assert tags_of(get_experiment(api, experiment_id)) == {"flag": ""}


def test_delete_experiment_tag_removes_only_that_tag_when_key_exists(api):
    experiment_id = api.create_experiment(
        "tags", tags=[{"key": "keep", "value": "1"}, {"key": "drop", "value": "2"}])
    assert api.ok_post("/experiments/delete-experiment-tag",
                       {"experiment_id": experiment_id, "key": "drop"}) == {}
    assert tags_of(get_experiment(api, experiment_id)) == {"keep": "1"}


class TestSetExperimentTagErrors:
    def test_not_found_when_experiment_is_unknown(self, seeded):
        api, _ = seeded
        result = api.post("/experiments/set-experiment-tag",
                          {"experiment_id": "999", "key": "k", "value": "v"})
        assert_error(result, NOT_FOUND, "999")

    def test_rejects_when_experiment_is_deleted(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/set-experiment-tag",
                          {"experiment_id": ids["ghost"], "key": "k", "value": "changed"})
        assert_error(result, INVALID, ids["ghost"], "active")
        assert tags_of(get_experiment(api, ids["ghost"])) == {"k": "v"}

    def test_rejects_when_key_is_missing(self, seeded):
        api, ids = seeded
        assert_error(api.post("/experiments/set-experiment-tag",
                              {"experiment_id": ids["taken"], "value": "v"}), INVALID, "'key'")

    def test_rejects_when_key_escapes_its_path(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/set-experiment-tag",
                          {"experiment_id": ids["taken"], "key": "../up", "value": "v"})
        assert_error(result, INVALID, "'../up'")
        assert tags_of(get_experiment(api, ids["taken"])) == {"k": "v"}

    def test_rejects_when_value_is_too_long(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/set-experiment-tag",
                          {"experiment_id": ids["taken"], "key": "k", "value": "v" * 20001})
        assert_error(result, INVALID, "20000")
        assert tags_of(get_experiment(api, ids["taken"])) == {"k": "v"}


class TestDeleteExperimentTagErrors:
    def test_not_found_when_tag_is_unknown(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/delete-experiment-tag",
                          {"experiment_id": ids["taken"], "key": "missing"})
        assert_error(result, NOT_FOUND, "missing")

    def test_not_found_when_experiment_is_unknown(self, seeded):
        api, _ = seeded
        result = api.post("/experiments/delete-experiment-tag", {"experiment_id": "999", "key": "k"})
        assert_error(result, NOT_FOUND, "999")

    def test_rejects_when_experiment_is_deleted(self, seeded):
        api, ids = seeded
        result = api.post("/experiments/delete-experiment-tag",
                          {"experiment_id": ids["ghost"], "key": "k"})
        assert_error(result, INVALID, ids["ghost"])
        assert tags_of(get_experiment(api, ids["ghost"])) == {"k": "v"}
