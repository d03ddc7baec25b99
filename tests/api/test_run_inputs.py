"""Run inputs and outputs: log-inputs (datasets, models), outputs (models), and datasets.* search."""
import uuid

import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error
from tests.conftest import Api
from tests.databases import make_app

CONTEXT = "mlflow.data.context"


def dataset(name: str = "wine", digest: str = "d1g3st", **fields) -> dict:
    """A full Dataset message; pass a field as None to leave it out."""
    body = {"name": name, "digest": digest, "source_type": "local",
            "source": '{"uri": "/data/wine.csv"}', "schema": '{"mlflow_colspec": []}',
            "profile": '{"num_rows": 178}', **fields}
    return {k: v for k, v in body.items() if v is not None}


def dataset_input(context: str | None = "training", **fields) -> dict:
    tags = [{"key": CONTEXT, "value": context}] if context else []
    return {"tags": tags, "dataset": dataset(**fields)}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """One server for the module: each test logs to runs of an experiment of its own."""
    app = make_app(tmp_path_factory.mktemp("run_inputs"))
    return app.test_client()


@pytest.fixture(scope="module")
def api(client):
    return Api(client)


@pytest.fixture
def experiment_id(api):
    return api.create_experiment(f"exp-{uuid.uuid4().hex}")


@pytest.fixture
def run_id(api, experiment_id):
    return api.create_run(experiment_id)["info"]["run_id"]


@pytest.fixture
def model_id(api, experiment_id):
    return api.ok_post("/logged-models", {"experiment_id": experiment_id, "name": "m"})["model"]["info"]["model_id"]


def get_run(api, run_id: str) -> dict:
    return api.ok_get("/runs/get", {"run_id": run_id})["run"]


def log_inputs(api, run_id: str, datasets=(), models=()):
    return api.post("/runs/log-inputs", {"run_id": run_id, "datasets": list(datasets),
                                         "models": list(models)})


# --- log-inputs --------------------------------------------------------------------------------

def test_log_inputs_shows_dataset_and_model_inputs_on_the_run_when_both_are_logged(api, run_id, model_id):
    assert log_inputs(api, run_id, [dataset_input()], [{"model_id": model_id}]) == (200, {})
    assert get_run(api, run_id)["inputs"] == {
        "dataset_inputs": [{
            "tags": [{"key": CONTEXT, "value": "training"}],
            "dataset": {"name": "wine", "digest": "d1g3st", "source_type": "local",
                        "source": '{"uri": "/data/wine.csv"}', "schema": '{"mlflow_colspec": []}',
                        "profile": '{"num_rows": 178}'},
        }],
        "model_inputs": [{"model_id": model_id}],
    }


def test_log_inputs_omits_schema_and_profile_when_they_are_not_given(api, run_id):
    log_inputs(api, run_id, [dataset_input(context=None, schema=None, profile=None)])
    assert get_run(api, run_id)["inputs"]["dataset_inputs"] == [{
        "tags": [], "dataset": {"name": "wine", "digest": "d1g3st", "source_type": "local",
                                "source": '{"uri": "/data/wine.csv"}'}}]


def test_log_inputs_keeps_one_input_when_the_same_dataset_is_logged_twice(api, run_id):
    log_inputs(api, run_id, [dataset_input()])
    log_inputs(api, run_id, [dataset_input(), dataset_input()])
    inputs = get_run(api, run_id)["inputs"]["dataset_inputs"]
    assert [(i["dataset"]["name"], i["dataset"]["digest"]) for i in inputs] == [("wine", "d1g3st")]
    assert inputs[0]["tags"] == [{"key": CONTEXT, "value": "training"}]


def test_log_inputs_keeps_both_when_digests_differ(api, run_id):
    log_inputs(api, run_id, [dataset_input(digest="v1"), dataset_input(digest="v2", context="eval")])
    inputs = get_run(api, run_id)["inputs"]["dataset_inputs"]
    assert sorted((i["dataset"]["digest"], i["tags"][0]["value"]) for i in inputs) == [
        ("v1", "training"), ("v2", "eval")]


def test_log_inputs_shows_the_dataset_on_each_run_when_two_runs_use_it(api, experiment_id):
    runs = [api.create_run(experiment_id)["info"]["run_id"] for _ in range(2)]
    for rid in runs:
        log_inputs(api, rid, [dataset_input()])
    for rid in runs:
        assert [i["dataset"]["name"] for i in get_run(api, rid)["inputs"]["dataset_inputs"]] == ["wine"]


def test_log_inputs_records_models_only_when_no_datasets_are_given(api, run_id, model_id):
    assert api.post("/runs/log-inputs", {"run_id": run_id, "models": [{"model_id": model_id}]}) == (200, {})
    assert get_run(api, run_id)["inputs"] == {"model_inputs": [{"model_id": model_id}]}


def test_run_has_empty_inputs_and_outputs_when_nothing_was_logged(api, run_id):
    run = get_run(api, run_id)
    assert (run["inputs"], run["outputs"]) == ({}, {})


class TestLogInputsErrors:
    def test_not_found_when_run_is_unknown(self, api):
        assert_error(log_inputs(api, "0" * 32, [dataset_input()]), NOT_FOUND, "0" * 32)

    def test_rejects_when_run_id_is_missing(self, api):
        assert_error(api.post("/runs/log-inputs", {"datasets": [dataset_input()]}), INVALID, "'run_id'")

    def test_rejects_and_logs_nothing_when_run_is_deleted(self, api, run_id):
        api.ok_post("/runs/delete", {"run_id": run_id})
        assert_error(log_inputs(api, run_id, [dataset_input()]), INVALID, run_id)
        assert get_run(api, run_id)["inputs"] == {}

    @pytest.mark.parametrize("field", ["name", "digest", "source_type", "source"])
    def test_rejects_when_a_required_dataset_field_is_missing(self, api, run_id, field):
        result = log_inputs(api, run_id, [dataset_input(**{field: None})])
        assert_error(result, INVALID, f"dataset.{field}'")
        assert get_run(api, run_id)["inputs"] == {}

    def test_rejects_when_a_required_dataset_field_is_empty(self, api, run_id):
        assert_error(log_inputs(api, run_id, [dataset_input(digest="")]), INVALID, "digest")

    def test_rejects_when_the_dataset_itself_is_missing(self, api, run_id):
        result = api.post("/runs/log-inputs", {"run_id": run_id, "datasets": [{"tags": []}]})
        assert_error(result, INVALID, "'datasets.0.dataset'")

    def test_rejects_when_digest_is_longer_than_mlflow_allows(self, api, run_id):
        assert_error(log_inputs(api, run_id, [dataset_input(digest="x" * 37)]), INVALID, "digest", "36")

    def test_rejects_when_an_input_tag_has_no_key(self, api, run_id):
        item = {"tags": [{"key": "", "value": "v"}], "dataset": dataset()}
        assert_error(log_inputs(api, run_id, [item]), INVALID, "key")
        assert get_run(api, run_id)["inputs"] == {}

    def test_not_found_and_logs_no_dataset_when_a_model_is_unknown(self, api, run_id):
        """Stricter than MLflow's store, which links any model_id: the model must exist."""
        unknown = f"m-{'9' * 32}"
        result = log_inputs(api, run_id, [dataset_input()], [{"model_id": unknown}])
        assert_error(result, NOT_FOUND, unknown)
        assert get_run(api, run_id)["inputs"] == {}

    def test_keeps_first_context_when_the_same_dataset_is_logged_again_with_another(self, api, run_id):
        log_inputs(api, run_id, [dataset_input(context="training")])
        log_inputs(api, run_id, [dataset_input(context="eval")])
        inputs = get_run(api, run_id)["inputs"]["dataset_inputs"]
        assert inputs[0]["tags"] == [{"key": CONTEXT, "value": "training"}]


# --- outputs -----------------------------------------------------------------------------------

def test_log_outputs_shows_model_outputs_with_steps_when_models_are_logged(api, experiment_id, run_id):
    first = api.ok_post("/logged-models", {"experiment_id": experiment_id})["model"]["info"]["model_id"]
    second = api.ok_post("/logged-models", {"experiment_id": experiment_id})["model"]["info"]["model_id"]
    body = {"run_id": run_id, "models": [{"model_id": first, "step": 3}, {"model_id": second}]}
    assert api.post("/runs/outputs", body) == (200, {})
    outputs = get_run(api, run_id)["outputs"]["model_outputs"]
    assert sorted(outputs, key=lambda o: o["step"]) == [{"model_id": second, "step": 0},
                                                        {"model_id": first, "step": 3}]


def test_search_runs_carries_inputs_and_outputs_when_runs_have_them(api, experiment_id, run_id, model_id):
    log_inputs(api, run_id, [dataset_input()], [{"model_id": model_id}])
    api.ok_post("/runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id, "step": 1}]})
    found = api.ok_post("/runs/search", {"experiment_ids": [experiment_id]})["runs"]
    assert found[0]["inputs"] == get_run(api, run_id)["inputs"]
    assert found[0]["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 1}]}


class TestLogOutputsErrors:
    def test_not_found_when_run_is_unknown(self, api, model_id):
        result = api.post("/runs/outputs", {"run_id": "0" * 32, "models": [{"model_id": model_id}]})
        assert_error(result, NOT_FOUND, "0" * 32)

    def test_rejects_when_run_is_deleted(self, api, run_id, model_id):
        api.ok_post("/runs/delete", {"run_id": run_id})
        result = api.post("/runs/outputs", {"run_id": run_id, "models": [{"model_id": model_id}]})
        assert_error(result, INVALID, run_id)
        assert get_run(api, run_id)["outputs"] == {}

    def test_not_found_when_model_is_unknown(self, api, run_id):
        """Stricter than MLflow's store, which records any model_id: the model must exist."""
        unknown = f"m-{'8' * 32}"
        result = api.post("/runs/outputs", {"run_id": run_id, "models": [{"model_id": unknown}]})
        assert_error(result, NOT_FOUND, unknown)
        assert get_run(api, run_id)["outputs"] == {}

    def test_rejects_when_a_model_has_no_id(self, api, run_id):
        result = api.post("/runs/outputs", {"run_id": run_id, "models": [{"step": 1}]})
        assert_error(result, INVALID, "'models.0.model_id'")

    def test_rejects_when_models_are_missing(self, api, run_id):
        assert_error(api.post("/runs/outputs", {"run_id": run_id}), INVALID, "models")


# --- search runs by dataset --------------------------------------------------------------------

@pytest.fixture(scope="module")
def dataset_runs(api):
    """Read-only: run 'train' used wine/v1 for training, 'eval' used iris/v2 for evaluation,
    'both' used both, 'none' used nothing."""
    experiment_id = api.create_experiment("datasets")
    plan = {"train": [dataset_input("training", name="wine", digest="v1")],
            "eval": [dataset_input("evaluation", name="iris", digest="v2")],
            "both": [dataset_input("training", name="wine", digest="v1"),
                     dataset_input("evaluation", name="iris", digest="v2")],
            "none": []}
    for run_name, items in plan.items():
        rid = api.create_run(experiment_id, run_name=run_name)["info"]["run_id"]
        if items:
            assert log_inputs(api, rid, items)[0] == 200
    return experiment_id


def run_names(api, experiment_id: str, filter_string: str) -> list[str]:
    found = api.ok_post("/runs/search", {"experiment_ids": [experiment_id], "filter": filter_string})
    return sorted(r["info"]["run_name"] for r in found.get("runs", []))


@pytest.mark.parametrize("filter_string, expected", [
    ("datasets.name = 'wine'", ["both", "train"]),
    ("datasets.name != 'wine'", ["both", "eval"]),
    ("datasets.digest = 'v2'", ["both", "eval"]),
    ("datasets.context = 'training'", ["both", "train"]),
    ("datasets.context = 'evaluation'", ["both", "eval"]),
    ("datasets.name IN ('iris', 'nope')", ["both", "eval"]),
    ("datasets.name LIKE 'w%'", ["both", "train"]),
    ("datasets.name = 'wine' AND datasets.context = 'evaluation'", ["both"]),
    ("datasets.name = 'nope'", []),
])
def test_search_runs_filters_by_dataset_when_filter_names_dataset_fields(
        api, dataset_runs, filter_string, expected):
    assert run_names(api, dataset_runs, filter_string) == expected


class TestSearchRunsByDatasetErrors:
    @pytest.mark.parametrize("bad", ["datasets.bogus = 'x'", "datasets.name > 'x'",
                                     "datasets.digest = 5"])
    def test_rejects_when_dataset_filter_is_malformed(self, api, dataset_runs, bad):
        result = api.post("/runs/search", {"experiment_ids": [dataset_runs], "filter": bad})
        assert_error(result, INVALID)


# --- the same routes under /ajax-api -----------------------------------------------------------

def test_inputs_and_outputs_routes_answer_when_called_under_ajax_api(client, api, run_id, model_id):
    ajax = Api(client, prefix="/ajax-api/2.0/mlflow")
    assert ajax.post("/runs/log-inputs", {"run_id": run_id, "datasets": [dataset_input()],
                                          "models": [{"model_id": model_id}]}) == (200, {})
    assert ajax.post("/runs/outputs", {"run_id": run_id,
                                       "models": [{"model_id": model_id, "step": 2}]}) == (200, {})
    run = ajax.ok_get("/runs/get", {"run_id": run_id})["run"]
    assert [i["dataset"]["name"] for i in run["inputs"]["dataset_inputs"]] == ["wine"]
    assert run["inputs"]["model_inputs"] == [{"model_id": model_id}]
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 2}]}
