"""Run lifecycle: create, get, update, delete, restore."""
import re

import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, make_api, now_ms, tags_of


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One server for the module (a new app costs more than the test): each test works in the
    experiment it is given, so tests stay independent."""
    return make_api(tmp_path_factory, "runs")


@pytest.fixture
def experiment_id(api, request):
    """A new experiment per test, named after it."""
    return api.create_experiment(request.node.name)


@pytest.fixture(scope="module")
def seeded(api):
    """For error cases, whose requests must all fail: experiments "live" (with the RUNNING run
    "active" and the deleted run "deleted") and "dead" (deleted, with its run "orphan").
    Returns (api, ids)."""
    ids = {"live": api.create_experiment("live"), "dead": api.create_experiment("dead")}
    for name, experiment in (("active", "live"), ("deleted", "live"), ("orphan", "dead")):
        ids[name] = api.create_run(ids[experiment], run_name=name)["info"]["run_id"]
    api.ok_post("/runs/delete", {"run_id": ids["deleted"]})
    api.ok_post("/experiments/delete", {"experiment_id": ids["dead"]})
    return api, ids


def run_names_in(api, experiment_id) -> list[str]:
    found = api.ok_post("/runs/search", {"experiment_ids": [experiment_id], "run_view_type": "ALL"})
    return sorted(r["info"]["run_name"] for r in found.get("runs", []))


# --- create ---------------------------------------------------------------------------------

def test_create_returns_full_run_when_all_fields_are_given(api, experiment_id):
    run = api.create_run(experiment_id, run_name="baseline", start_time=1_700_000_000_000,
                         user_id="ada", tags=[{"key": "team", "value": "vision"}])
    info = run["info"]
    assert re.fullmatch(r"[0-9a-f]{32}", info["run_id"])
    assert info["run_uuid"] == info["run_id"]
    assert info["experiment_id"] == experiment_id
    assert info["run_name"] == "baseline"
    assert info["start_time"] == 1_700_000_000_000
    assert info["user_id"] == "ada"
    assert info["status"] == "RUNNING"
    assert info["lifecycle_stage"] == "active"
    assert info["artifact_uri"] == f"mlflow-artifacts:/ml_experiment_{experiment_id}/1"
    assert tags_of(run) == {"team": "vision", "mlflow.runName": "baseline"}
    assert run["data"]["metrics"] == [] and run["data"]["params"] == []


def test_create_omits_end_time_when_run_is_still_running(api, experiment_id):
    info = api.create_run(experiment_id)["info"]
    assert "end_time" not in info
    assert None not in info.values()


def test_create_stamps_start_time_now_when_start_time_is_omitted(api, experiment_id):
    before = now_ms()
    info = api.create_run(experiment_id)["info"]
    assert before <= info["start_time"] <= now_ms()


def test_create_generates_name_and_tag_when_run_name_is_omitted(api, experiment_id):
    first = api.create_run(experiment_id)
    second = api.create_run(experiment_id)
    for run in (first, second):
        assert re.fullmatch(r"[a-z]+-[a-z]+-\d+", run["info"]["run_name"])
        assert tags_of(run)["mlflow.runName"] == run["info"]["run_name"]


def test_create_takes_name_from_tag_when_only_run_name_tag_is_given(api, experiment_id):
    run = api.create_run(experiment_id, tags=[{"key": "mlflow.runName", "value": "from-tag"}])
    assert run["info"]["run_name"] == "from-tag"
    assert tags_of(run) == {"mlflow.runName": "from-tag"}


def test_create_accepts_name_and_tag_when_they_agree(api, experiment_id):
    run = api.create_run(experiment_id, run_name="same",
                         tags=[{"key": "mlflow.runName", "value": "same"}])
    assert run["info"]["run_name"] == "same"
    assert tags_of(run) == {"mlflow.runName": "same"}


def test_create_takes_user_from_tag_when_user_id_is_omitted(api, experiment_id):
    run = api.create_run(experiment_id, tags=[{"key": "mlflow.user", "value": "grace"}])
    assert run["info"]["user_id"] == "grace"


def test_create_uses_default_experiment_when_experiment_id_is_omitted(api):
    infos = [api.ok_post("/runs/create", body)["run"]["info"]
             for body in ({"run_name": "orphan"}, {"experiment_id": ""})]
    assert [info["experiment_id"] for info in infos] == ["0", "0"]
    first = re.fullmatch(r"mlflow-artifacts:/ml_experiment_0/(\d+)", infos[0]["artifact_uri"])
    assert first, infos[0]["artifact_uri"]
    assert infos[1]["artifact_uri"] == f"mlflow-artifacts:/ml_experiment_0/{int(first[1]) + 1}"


def test_create_counts_iids_per_experiment_when_runs_are_created(api):
    first = api.create_experiment("first")
    second = api.create_experiment("second")
    uris = [api.create_run(first)["info"]["artifact_uri"] for _ in range(3)]
    other = api.create_run(second)["info"]["artifact_uri"]
    assert uris == [f"mlflow-artifacts:/ml_experiment_{first}/{i}" for i in (1, 2, 3)]
    assert other == f"mlflow-artifacts:/ml_experiment_{second}/1"


def test_create_never_reuses_iid_when_a_run_was_deleted(api, experiment_id):
    run_ids = [api.create_run(experiment_id)["info"]["run_id"] for _ in range(2)]
    api.ok_post("/runs/delete", {"run_id": run_ids[1]})
    uri = api.create_run(experiment_id)["info"]["artifact_uri"]
    assert uri == f"mlflow-artifacts:/ml_experiment_{experiment_id}/3"


class TestCreateRunErrors:
    def test_rejects_when_run_name_and_run_name_tag_differ(self, seeded):
        api, ids = seeded
        result = api.post("/runs/create", {"experiment_id": ids["live"], "run_name": "one",
                                           "tags": [{"key": "mlflow.runName", "value": "two"}]})
        assert_error(result, INVALID, "run_name", "mlflow.runName", "'one'", "'two'")
        assert run_names_in(api, ids["live"]) == ["active", "deleted"]

    def test_not_found_when_experiment_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/runs/create", {"experiment_id": "999"}), NOT_FOUND, "999")

    def test_rejects_when_experiment_is_deleted(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/create", {"experiment_id": ids["dead"]}),
                     INVALID, f"experiment {ids['dead']}", "active")
        assert run_names_in(api, ids["dead"]) == ["orphan"]

    def test_rejects_when_experiment_id_is_a_json_number(self, seeded):
        """Protobuf JSON wants a string for a string field; MLflow's server refuses a number too."""
        api, ids = seeded
        assert_error(api.post("/runs/create", {"experiment_id": int(ids["live"])}),
                     INVALID, "'experiment_id'")

    def test_rejects_when_start_time_is_not_an_integer(self, seeded):
        api, ids = seeded
        result = api.post("/runs/create", {"experiment_id": ids["live"], "start_time": "noon"})
        assert_error(result, INVALID, "'start_time'")

    def test_rejects_when_run_name_is_too_long(self, seeded):
        api, ids = seeded
        result = api.post("/runs/create", {"experiment_id": ids["live"], "run_name": "n" * 251})
        assert_error(result, INVALID, "250")

    def test_rejects_when_tag_key_is_invalid(self, seeded):
        api, ids = seeded
        result = api.post("/runs/create", {"experiment_id": ids["live"],
                                           "tags": [{"key": "bad!key", "value": "v"}]})
        assert_error(result, INVALID, "'bad!key'")

    def test_rejects_when_tag_value_is_too_long(self, seeded):
        api, ids = seeded
        result = api.post("/runs/create", {"experiment_id": ids["live"],
                                           "tags": [{"key": "k", "value": "v" * 8001}]})
        assert_error(result, INVALID, "'k'", "8000")

    def test_rejects_when_start_time_is_beyond_int64(self, seeded):
        api, ids = seeded
        result = api.post("/runs/create", {"experiment_id": ids["live"], "start_time": 2 ** 63})
        assert_error(result, INVALID, "start_time")


# --- get ------------------------------------------------------------------------------------

def test_get_returns_run_when_run_id_is_given(api, run, run_id):
    fetched = api.ok_get("/runs/get", {"run_id": run_id})["run"]
    assert fetched["info"] == run["info"]
    assert tags_of(fetched) == {"mlflow.runName": "r1"}


def test_get_returns_run_when_only_legacy_run_uuid_is_given(api, run_id):
    fetched = api.ok_get("/runs/get", {"run_uuid": run_id})["run"]
    assert fetched["info"]["run_id"] == run_id


def test_get_returns_deleted_run_when_run_was_deleted(api, run_id, get_run):
    api.ok_post("/runs/delete", {"run_id": run_id})
    assert get_run(run_id)["info"]["lifecycle_stage"] == "deleted"


class TestGetRunErrors:
    def test_not_found_when_run_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.get("/runs/get", {"run_id": "0" * 32}), NOT_FOUND, "0" * 32)

    def test_rejects_when_run_id_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.get("/runs/get"), INVALID, "'run_id'")

    def test_rejects_when_run_id_is_empty(self, seeded):
        api, _ = seeded
        assert_error(api.get("/runs/get", {"run_id": ""}), INVALID, "'run_id'")


# --- update ---------------------------------------------------------------------------------

def test_update_finishes_run_when_status_and_end_time_are_given(api, run_id, get_run):
    response = api.ok_post("/runs/update", {"run_id": run_id, "status": "FINISHED",
                                            "end_time": 1_800_000_000_000})
    assert response["run_info"]["status"] == "FINISHED"
    assert response["run_info"]["end_time"] == 1_800_000_000_000
    info = get_run(run_id)["info"]
    assert (info["status"], info["end_time"]) == ("FINISHED", 1_800_000_000_000)


def test_update_sets_status_when_given_by_name_or_number(api, run_id, get_run):
    for status, expected in [("KILLED", "KILLED"), ("SCHEDULED", "SCHEDULED"), (4, "FAILED"),
                             ("3", "FINISHED"), ("RUNNING", "RUNNING")]:
        api.ok_post("/runs/update", {"run_id": run_id, "status": status})
        assert get_run(run_id)["info"]["status"] == expected, status


def test_update_renames_run_and_tag_when_run_name_is_given(api, run_id, get_run):
    response = api.ok_post("/runs/update", {"run_id": run_id, "run_name": "renamed"})
    assert response["run_info"]["run_name"] == "renamed"
    run = get_run(run_id)
    assert run["info"]["run_name"] == "renamed"
    assert tags_of(run)["mlflow.runName"] == "renamed"


def test_update_keeps_everything_when_only_run_id_is_given(api, run, run_id, get_run):
    response = api.ok_post("/runs/update", {"run_id": run_id, "run_name": ""})
    assert response["run_info"] == run["info"]
    assert get_run(run_id)["info"] == run["info"]


def test_update_accepts_legacy_run_uuid_when_run_id_is_absent(api, run_id, get_run):
    api.ok_post("/runs/update", {"run_uuid": run_id, "status": "FAILED"})
    assert get_run(run_id)["info"]["status"] == "FAILED"


class TestUpdateRunErrors:
    def test_rejects_when_status_is_unknown(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/update", {"run_id": ids["active"], "status": "DONE"}),
                     INVALID, "'status'", "DONE")
        info = api.ok_get("/runs/get", {"run_id": ids["active"]})["run"]["info"]
        assert info["status"] == "RUNNING"

    def test_rejects_when_end_time_is_not_an_integer(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/update", {"run_id": ids["active"], "end_time": 1.5}),
                     INVALID, "'end_time'")

    def test_not_found_when_run_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/runs/update", {"run_id": "f" * 32, "status": "FINISHED"}),
                     NOT_FOUND, "f" * 32)

    def test_rejects_when_run_is_deleted(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/update", {"run_id": ids["deleted"], "status": "FINISHED"}),
                     INVALID, ids["deleted"], "active")

    def test_rejects_when_run_name_is_too_long(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/update", {"run_id": ids["active"], "run_name": "n" * 251}),
                     INVALID, "250")

    def test_rejects_when_end_time_is_beyond_int64(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/update", {"run_id": ids["active"], "end_time": 2 ** 63}),
                     INVALID, "end_time")


# --- delete / restore -----------------------------------------------------------------------

def test_delete_hides_run_from_active_search_when_run_is_deleted(api, experiment_id, run_id):
    keep = api.create_run(experiment_id)["info"]["run_id"]
    assert api.ok_post("/runs/delete", {"run_id": run_id}) == {}
    active = api.ok_post("/runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert [r["info"]["run_id"] for r in active] == [keep]


def test_restore_brings_run_back_when_it_was_deleted(api, experiment_id, run_id, get_run):
    api.ok_post("/runs/delete", {"run_id": run_id})
    assert api.ok_post("/runs/restore", {"run_id": run_id}) == {}
    assert get_run(run_id)["info"]["lifecycle_stage"] == "active"
    active = api.ok_post("/runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert [r["info"]["run_id"] for r in active] == [run_id]


def test_restored_run_accepts_writes_when_it_was_deleted_before(api, run_id, get_run):
    api.ok_post("/runs/delete", {"run_id": run_id})
    api.ok_post("/runs/restore", {"run_id": run_id})
    api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "back", "value": "yes"})
    assert tags_of(get_run(run_id))["back"] == "yes"


class TestDeleteRunErrors:
    def test_not_found_when_run_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/runs/delete", {"run_id": "a" * 32}), NOT_FOUND, "a" * 32)

    def test_rejects_when_run_id_is_missing(self, seeded):
        api, _ = seeded
        assert_error(api.post("/runs/delete", {}), INVALID, "'run_id'")


class TestRestoreRunErrors:
    def test_not_found_when_run_is_unknown(self, seeded):
        api, _ = seeded
        assert_error(api.post("/runs/restore", {"run_id": "a" * 32}), NOT_FOUND, "a" * 32)

    def test_rejects_when_experiment_is_deleted(self, seeded):
        api, ids = seeded
        assert_error(api.post("/runs/restore", {"run_id": ids["orphan"]}),
                     INVALID, ids["orphan"], "experiment")
        info = api.ok_get("/runs/get", {"run_id": ids["orphan"]})["run"]["info"]
        assert info["lifecycle_stage"] == "deleted"
