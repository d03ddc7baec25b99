"""Single writes to a run: log-metric, log-parameter, set-tag, delete-tag."""
import pytest

from tests.api.helpers import (INVALID, NOT_FOUND, assert_error, make_api, metrics_of, params_of,
                               tags_of)


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One server for the module (a new app costs more than the test): each test writes only
    to the run it is given, so tests stay independent."""
    return make_api(tmp_path_factory, "logging")


@pytest.fixture(scope="module")
def experiment_id(api):
    return api.create_experiment("exp")


# --- log-metric -----------------------------------------------------------------------------

def test_log_metric_shows_as_latest_when_logged(api, run_id, get_run):
    body = {"run_id": run_id, "key": "loss", "value": 0.25, "timestamp": 1000, "step": 3}
    assert api.ok_post("/runs/log-metric", body) == {}
    assert metrics_of(get_run(run_id)) == {
        "loss": {"key": "loss", "value": 0.25, "timestamp": 1000, "step": 3}}


def test_log_metric_defaults_step_to_zero_when_step_is_omitted(api, run_id, get_run):
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": "acc", "value": 1, "timestamp": 5})
    assert metrics_of(get_run(run_id))["acc"]["step"] == 0


def test_log_metric_accepts_protobuf_json_strings_when_numbers_are_quoted(api, run_id, get_run):
    """Protobuf JSON writes int64 as a decimal string; MLflow's server accepts it."""
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": "acc", "value": "0.5",
                                     "timestamp": "1700000000000", "step": "7"})
    assert metrics_of(get_run(run_id))["acc"] == {
        "key": "acc", "value": 0.5, "timestamp": 1_700_000_000_000, "step": 7}


def test_log_metric_accepts_legacy_run_uuid_when_run_id_is_absent(api, run_id, get_run):
    api.ok_post("/runs/log-metric", {"run_uuid": run_id, "key": "acc", "value": 1, "timestamp": 1})
    assert "acc" in metrics_of(get_run(run_id))


def test_log_metric_round_trips_value_when_value_is_special(api, run_id, get_run):
    cases = {"nan": "NaN", "inf": "Infinity", "neg_inf": "-Infinity", "neg": -0.5, "huge": 1e300,
             "tiny": 5e-324, "int": 3}
    for key, value in cases.items():
        api.ok_post("/runs/log-metric", {"run_id": run_id, "key": key, "value": value, "timestamp": 1})
    latest = {k: m["value"] for k, m in metrics_of(get_run(run_id)).items()}
    assert latest == cases
    assert isinstance(latest["int"], float)


def test_latest_metric_prefers_largest_step_then_timestamp_then_value_when_logged_one_by_one(
        api, run_id, get_run):
    def log(value, timestamp, step):
        api.ok_post("/runs/log-metric", {"run_id": run_id, "key": "m", "value": value,
                                         "timestamp": timestamp, "step": step})
        return metrics_of(get_run(run_id))["m"]

    assert log(1.0, 100, 2) == {"key": "m", "value": 1.0, "timestamp": 100, "step": 2}
    # A later timestamp at a smaller step does not win.
    assert log(5.0, 900, 1)["value"] == 1.0
    # Same step, later timestamp wins even with a smaller value.
    assert log(0.0, 150, 2) == {"key": "m", "value": 0.0, "timestamp": 150, "step": 2}
    # Same step and timestamp: the larger value wins, a smaller one does not.
    assert log(-1.0, 150, 2)["value"] == 0.0
    assert log(3.0, 150, 2)["value"] == 3.0
    # A larger step wins even with an older timestamp.
    assert log(-7.0, 1, 4) == {"key": "m", "value": -7.0, "timestamp": 1, "step": 4}


@pytest.fixture(scope="module")
def seeded(api, experiment_id):
    """For error cases, whose requests must all fail: a run with param lr=0.1 and tag t=v."""
    run_id = api.create_run(experiment_id, tags=[{"key": "t", "value": "v"}])["info"]["run_id"]
    api.ok_post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})

    def data():
        run = api.ok_get("/runs/get", {"run_id": run_id})["run"]
        return params_of(run), {k: v for k, v in tags_of(run).items() if k != "mlflow.runName"}

    return api, run_id, data


class TestLogMetricErrors:
    @pytest.mark.parametrize("body, mention", [
        ({"value": 1, "timestamp": 1}, "'key'"),
        ({"key": "m", "timestamp": 1}, "'value'"),
        ({"key": "m", "value": 1}, "'timestamp'"),
        ({"key": "m", "value": 1, "timestamp": "noon"}, "'timestamp'"),
        ({"key": "m", "value": 1, "timestamp": 1.5}, "'timestamp'"),
        ({"key": "m", "value": True, "timestamp": 1}, "'value'"),
        ({"key": "m", "value": "high", "timestamp": 1}, "'value'"),
        ({"key": "m", "value": 1, "timestamp": 1, "step": "first"}, "'step'"),
        ({"key": "m" * 251, "value": 1, "timestamp": 1}, "250"),
        ({"key": "a*b", "value": 1, "timestamp": 1}, "'a*b'"),
        ({"key": "", "value": 1, "timestamp": 1}, "key"),
    ])
    def test_rejects_when_field_is_missing_or_wrong(self, seeded, body, mention):
        api, run_id, _ = seeded
        assert_error(api.post("/runs/log-metric", {"run_id": run_id, **body}), INVALID, mention)
        assert api.ok_get("/runs/get", {"run_id": run_id})["run"]["data"]["metrics"] == []

    def test_rejects_when_timestamp_is_beyond_int64(self, seeded):
        api, run_id, _ = seeded
        result = api.post("/runs/log-metric",
                          {"run_id": run_id, "key": "m", "value": 1, "timestamp": 2 ** 63})
        assert_error(result, INVALID, "timestamp")

    def test_rejects_when_step_is_beyond_int64(self, seeded):
        api, run_id, _ = seeded
        result = api.post("/runs/log-metric",
                          {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1, "step": 2 ** 63})
        assert_error(result, INVALID, "step")


# --- log-parameter --------------------------------------------------------------------------

def test_log_param_stores_value_when_logged(api, run_id, get_run):
    assert api.ok_post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"}) == {}
    assert params_of(get_run(run_id)) == {"lr": "0.1"}


def test_log_param_succeeds_when_same_value_is_logged_again(api, run_id, get_run):
    body = {"run_id": run_id, "key": "lr", "value": "0.1"}
    api.ok_post("/runs/log-parameter", body)
    api.ok_post("/runs/log-parameter", body)
    assert params_of(get_run(run_id)) == {"lr": "0.1"}


def test_log_param_accepts_longest_value_when_value_has_6000_chars(api, run_id, get_run):
    api.ok_post("/runs/log-parameter", {"run_id": run_id, "key": "blob", "value": "x" * 6000})
    assert params_of(get_run(run_id))["blob"] == "x" * 6000


class TestLogParamErrors:
    def test_rejects_when_value_changes(self, seeded):
        api, run_id, data = seeded
        result = api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.2"})
        assert_error(result, INVALID, "'lr'", "'0.1'", "'0.2'")
        assert data()[0] == {"lr": "0.1"}

    def test_rejects_when_value_is_too_long(self, seeded):
        api, run_id, data = seeded
        result = api.post("/runs/log-parameter", {"run_id": run_id, "key": "blob", "value": "x" * 6001})
        assert_error(result, INVALID, "'blob'", "6000")
        assert data()[0] == {"lr": "0.1"}

    def test_rejects_when_key_is_too_long(self, seeded):
        api, run_id, _ = seeded
        result = api.post("/runs/log-parameter", {"run_id": run_id, "key": "k" * 251, "value": "v"})
        assert_error(result, INVALID, "251", "250")

    def test_rejects_when_key_is_missing(self, seeded):
        api, run_id, _ = seeded
        assert_error(api.post("/runs/log-parameter", {"run_id": run_id, "value": "v"}),
                     INVALID, "'key'")

    def test_rejects_when_value_is_a_number(self, seeded):
        api, run_id, _ = seeded
        assert_error(api.post("/runs/log-parameter", {"run_id": run_id, "key": "lr", "value": 0.1}),
                     INVALID, "'value'")


# --- set-tag / delete-tag -------------------------------------------------------------------

def test_set_tag_adds_then_overwrites_when_key_repeats(api, run_id, get_run):
    assert api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "team", "value": "a"}) == {}
    api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "team", "value": "b"})
    assert tags_of(get_run(run_id)) == {"team": "b", "mlflow.runName": "r1"}


def test_set_tag_renames_run_when_key_is_run_name_tag(api, run_id, get_run):
    api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "mlflow.runName", "value": "renamed"})
    run = get_run(run_id)
    assert run["info"]["run_name"] == "renamed"
    assert tags_of(run)["mlflow.runName"] == "renamed"


def test_set_tag_accepts_longest_value_when_value_has_8000_chars(api, run_id, get_run):
    api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "note", "value": "n" * 8000})
    assert tags_of(get_run(run_id))["note"] == "n" * 8000


def test_delete_tag_removes_only_that_tag_when_key_exists(api, run_id, get_run):
    api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "keep", "value": "1"})
    api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "drop", "value": "2"})
    assert api.ok_post("/runs/delete-tag", {"run_id": run_id, "key": "drop"}) == {}
    assert tags_of(get_run(run_id)) == {"keep": "1", "mlflow.runName": "r1"}


class TestSetTagErrors:
    def test_rejects_when_value_is_too_long(self, seeded):
        api, run_id, data = seeded
        result = api.post("/runs/set-tag", {"run_id": run_id, "key": "note", "value": "n" * 8001})
        assert_error(result, INVALID, "'note'", "8000")
        assert data()[1] == {"t": "v"}

    @pytest.mark.parametrize("key", ["bad|key", "../escape", "/abs", "a//b", "."])
    def test_rejects_when_key_is_not_a_safe_name(self, seeded, key):
        api, run_id, data = seeded
        assert_error(api.post("/runs/set-tag", {"run_id": run_id, "key": key, "value": "v"}),
                     INVALID, repr(key))
        assert data()[1] == {"t": "v"}

    def test_rejects_when_key_is_missing(self, seeded):
        api, run_id, _ = seeded
        assert_error(api.post("/runs/set-tag", {"run_id": run_id, "value": "v"}), INVALID, "'key'")


class TestDeleteTagErrors:
    def test_not_found_when_tag_is_unknown(self, seeded):
        api, run_id, _ = seeded
        assert_error(api.post("/runs/delete-tag", {"run_id": run_id, "key": "ghost"}),
                     NOT_FOUND, "ghost")

    def test_rejects_when_key_is_missing(self, seeded):
        api, run_id, data = seeded
        assert_error(api.post("/runs/delete-tag", {"run_id": run_id}), INVALID, "'key'")
        assert data()[1] == {"t": "v"}


# --- writes that must be refused ------------------------------------------------------------

@pytest.fixture(scope="module")
def frozen(api):
    """Read-only: a deleted run in a live experiment, and a run of a deleted experiment.

    Every run carries the tag `t` so delete-tag has something it would remove.
    """
    live = api.create_experiment("live")
    dead = api.create_experiment("dead")
    runs = {}
    for name, experiment_id in (("deleted_run", live), ("run_of_deleted_experiment", dead)):
        runs[name] = api.create_run(experiment_id, tags=[{"key": "t", "value": "v"}])["info"]["run_id"]
    api.ok_post("/runs/delete", {"run_id": runs["deleted_run"]})
    api.ok_post("/experiments/delete", {"experiment_id": dead})
    return api, runs


WRITES = {
    "log-metric": ("/runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
    "log-parameter": ("/runs/log-parameter", {"key": "p", "value": "1"}),
    "set-tag": ("/runs/set-tag", {"key": "t", "value": "changed"}),
    "delete-tag": ("/runs/delete-tag", {"key": "t"}),
    "log-batch": ("/runs/log-batch", {"params": [{"key": "p", "value": "1"}]}),
    "update": ("/runs/update", {"status": "FINISHED"}),
}


@pytest.mark.parametrize("target", ["deleted_run", "run_of_deleted_experiment"])
@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_is_refused_when_run_or_its_experiment_is_deleted(frozen, write, target):
    api, runs = frozen
    path, body = WRITES[write]
    run_id = runs[target]
    assert_error(api.post(path, {"run_id": run_id, **body}), INVALID, run_id, "active")
    run = api.ok_get("/runs/get", {"run_id": run_id})["run"]
    assert run["data"]["metrics"] == [] and run["data"]["params"] == []
    assert tags_of(run)["t"] == "v"
    assert run["info"]["status"] == "RUNNING"


@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_is_not_found_when_run_is_unknown(frozen, write):
    api, _ = frozen
    path, body = WRITES[write]
    assert_error(api.post(path, {"run_id": "deadbeef" * 4, **body}), NOT_FOUND, "deadbeef" * 4)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_write_is_rejected_when_run_id_is_missing(frozen, write):
    api, _ = frozen
    path, body = WRITES[write]
    assert_error(api.post(path, body), INVALID, "'run_id'")
