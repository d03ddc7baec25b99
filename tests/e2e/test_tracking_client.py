"""The unmodified mlflow client against a live mlexp server: the tracking core end to end."""
import math

import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException, RestException


def test_training_script_logs_and_reads_back_when_using_fluent_api(mlflow, client, unique_name):
    experiment = mlflow.set_experiment(unique_name)
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"layers": 3, "optimizer": "adam"})
        for step in range(5):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=4)
        mlflow.set_tag("team", "vision")
        mlflow.set_tags({"stage": "dev", "owner": "ada"})

    fetched = client.get_run(run.info.run_id)
    assert fetched.info.experiment_id == experiment.experiment_id
    assert fetched.info.run_name == "baseline"
    assert fetched.info.status == "FINISHED"
    assert fetched.info.end_time >= fetched.info.start_time
    assert fetched.info.artifact_uri == f"mlflow-artifacts:/ml_experiment_{experiment.experiment_id}/1"
    assert fetched.data.params == {"lr": "0.1", "layers": "3", "optimizer": "adam"}
    assert fetched.data.metrics == {"loss": pytest.approx(0.2), "acc": 0.9, "f1": 0.8}
    assert fetched.data.tags["team"] == "vision"
    assert fetched.data.tags["owner"] == "ada"
    assert fetched.data.tags["mlflow.runName"] == "baseline"

    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(s, 1.0 / (s + 1)) for s in range(5)]


def test_runs_get_iids_in_order_when_created_in_one_experiment(mlflow, client, unique_name):
    experiment_id = mlflow.create_experiment(unique_name)
    uris = []
    for _ in range(3):
        with mlflow.start_run(experiment_id=experiment_id) as run:
            uris.append(run.info.artifact_uri)
    assert uris == [f"mlflow-artifacts:/ml_experiment_{experiment_id}/{i}" for i in (1, 2, 3)]


def test_nested_run_keeps_parent_tag_when_started_inside_a_run(mlflow, client, unique_name):
    mlflow.set_experiment(unique_name)
    with mlflow.start_run() as parent:
        with mlflow.start_run(nested=True) as child:
            pass
    fetched = client.get_run(child.info.run_id)
    assert fetched.data.tags["mlflow.parentRunId"] == parent.info.run_id
    children = mlflow.search_runs(
        filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'", output_format="list")
    assert [r.info.run_id for r in children] == [child.info.run_id]


def test_unnamed_run_gets_readable_name_when_none_given(mlflow, client, unique_name):
    mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        pass
    fetched = client.get_run(run.info.run_id)
    assert fetched.info.run_name
    assert fetched.data.tags["mlflow.runName"] == fetched.info.run_name


def test_rename_run_updates_name_tag_when_client_sets_name(mlflow, client, unique_name):
    mlflow.set_experiment(unique_name)
    with mlflow.start_run(run_name="before") as run:
        pass
    client.update_run(run.info.run_id, name="after")
    fetched = client.get_run(run.info.run_id)
    assert fetched.info.run_name == "after"
    assert fetched.data.tags["mlflow.runName"] == "after"


def test_non_finite_metrics_round_trip_when_logged(mlflow, client, unique_name):
    mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        mlflow.log_metric("nan", float("nan"))
        mlflow.log_metric("inf", float("inf"))
        mlflow.log_metric("ninf", float("-inf"))
    metrics = client.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["inf"] == math.inf
    assert metrics["ninf"] == -math.inf


def test_negative_zero_keeps_its_sign_when_logged_and_read_back(mlflow, client, unique_name):
    experiment = mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        mlflow.log_metric("m", -0.0)
        mlflow.log_metrics({"b": -0.0})
    metrics = client.get_run(run.info.run_id).data.metrics
    (found,) = client.search_runs([experiment.experiment_id])
    for value in (metrics["m"], metrics["b"], found.data.metrics["m"]):
        assert value == 0 and math.copysign(1, value) == -1


def test_search_experiments_filters_and_orders_when_asked(mlflow, client, unique_name):
    ids = [client.create_experiment(f"{unique_name}-{suffix}", tags={"kind": suffix})
           for suffix in ("a", "b", "c")]
    found = client.search_experiments(filter_string=f"name LIKE '{unique_name}-%'",
                                      order_by=["name DESC"])
    assert [e.experiment_id for e in found] == list(reversed(ids))
    tagged = client.search_experiments(filter_string=f"tags.kind = 'b' and name LIKE '{unique_name}%'")
    assert [e.name for e in tagged] == [f"{unique_name}-b"]


def test_search_experiments_pages_when_max_results_is_small(mlflow, client, unique_name):
    for i in range(5):
        client.create_experiment(f"{unique_name}-{i}")
    page = client.search_experiments(max_results=2, filter_string=f"name LIKE '{unique_name}-%'",
                                     order_by=["name"])
    names = [e.name for e in page]
    while page.token:
        page = client.search_experiments(max_results=2, page_token=page.token,
                                         filter_string=f"name LIKE '{unique_name}-%'",
                                         order_by=["name"])
        names += [e.name for e in page]
    assert names == [f"{unique_name}-{i}" for i in range(5)]


def test_search_runs_returns_dataframe_when_called_fluently(mlflow, unique_name):
    experiment = mlflow.set_experiment(unique_name)
    for lr in ("0.1", "0.2"):
        with mlflow.start_run():
            mlflow.log_param("lr", lr)
            mlflow.log_metric("acc", float(lr) * 2)
    frame = mlflow.search_runs(experiment_ids=[experiment.experiment_id],
                               order_by=["attributes.start_time ASC"])
    assert list(frame["params.lr"]) == ["0.1", "0.2"]
    assert list(frame["metrics.acc"]) == [pytest.approx(0.2), pytest.approx(0.4)]


def test_deleted_run_is_hidden_then_restored_when_client_deletes(mlflow, client, unique_name):
    experiment = mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        pass
    client.delete_run(run.info.run_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    assert client.search_runs([experiment.experiment_id]) == []
    deleted = client.search_runs([experiment.experiment_id], run_view_type=ViewType.DELETED_ONLY)
    assert [r.info.run_id for r in deleted] == [run.info.run_id]
    client.restore_run(run.info.run_id)
    assert [r.info.run_id for r in client.search_runs([experiment.experiment_id])] == [run.info.run_id]


def test_rename_experiment_changes_name_when_client_renames(mlflow, client, unique_name):
    experiment_id = client.create_experiment(unique_name)
    client.rename_experiment(experiment_id, unique_name + "-renamed")
    assert client.get_experiment(experiment_id).name == unique_name + "-renamed"
    assert client.get_experiment_by_name(unique_name) is None


def test_client_raises_not_found_when_run_is_missing(mlflow, client):
    with pytest.raises(RestException) as info:
        client.get_run("0" * 32)
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_client_raises_already_exists_when_name_is_taken(mlflow, client, unique_name):
    client.create_experiment(unique_name)
    with pytest.raises(RestException) as info:
        client.create_experiment(unique_name)
    assert info.value.error_code == "RESOURCE_ALREADY_EXISTS"


def test_client_raises_invalid_parameter_when_param_changes(mlflow, client, unique_name):
    mlflow.set_experiment(unique_name)
    with mlflow.start_run():
        mlflow.log_param("lr", "0.1")
        with pytest.raises(MlflowException) as info:
            mlflow.log_param("lr", "0.2")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_logging_to_deleted_run_fails_when_run_was_deleted(mlflow, client, unique_name):
    experiment_id = client.create_experiment(unique_name)
    run = client.create_run(experiment_id)
    client.delete_run(run.info.run_id)
    with pytest.raises(RestException) as info:
        client.log_metric(run.info.run_id, "m", 1.0)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"


def test_experiment_tags_set_and_delete_when_client_tags(mlflow, client, unique_name):
    experiment_id = client.create_experiment(unique_name)
    client.set_experiment_tag(experiment_id, "team", "nlp")
    assert client.get_experiment(experiment_id).tags == {"team": "nlp"}
    client.delete_experiment_tag(experiment_id, "team")
    assert client.get_experiment(experiment_id).tags == {}


def test_deleted_experiment_restores_with_runs_when_client_restores(mlflow, client, unique_name):
    experiment_id = client.create_experiment(unique_name)
    run = client.create_run(experiment_id)
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "deleted"
    client.restore_experiment(experiment_id)
    assert client.get_run(run.info.run_id).info.lifecycle_stage == "active"


def test_default_experiment_holds_runs_when_none_is_set(mlflow, client):
    run = client.create_run("0")
    assert client.get_experiment("0").name == "Default"
    assert client.get_run(run.info.run_id).info.experiment_id == "0"


def test_dataset_input_is_listed_and_searchable_when_logged(mlflow, client, unique_name):
    pandas = pytest.importorskip("pandas")
    experiment = mlflow.set_experiment(unique_name)
    frame = pandas.DataFrame({"x": [1, 2, 3], "y": [0, 1, 0]})
    dataset = mlflow.data.from_pandas(frame, name="train-set", targets="y")
    with mlflow.start_run() as run:
        mlflow.log_input(dataset, context="training")
    with mlflow.start_run():
        pass
    inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
    assert [(i.dataset.name, i.dataset.digest) for i in inputs] == [("train-set", dataset.digest)]
    assert {t.key: t.value for t in inputs[0].tags}["mlflow.data.context"] == "training"
    for text in ("datasets.name = 'train-set'", "datasets.context = 'training'",
                 f"datasets.digest IN ('{dataset.digest}')"):
        found = client.search_runs([experiment.experiment_id], filter_string=text)
        assert [r.info.run_id for r in found] == [run.info.run_id], text


def test_client_identifies_the_server_and_its_setup_when_it_probes(mlflow, client):
    """The 3.17 client reads /version before logging spans (None meant "could not identify MLflow
    server version") and server-info before artifact transfers and telemetry."""
    from mlflow.store.tracking.rest_store import RestStore
    from mlflow.utils.rest_utils import MlflowHostCreds
    from mlflow.utils.server_info import fetch_server_info
    from packaging.version import Version

    host_creds = MlflowHostCreds(mlflow.get_tracking_uri())
    version = RestStore._get_server_version(host_creds)
    assert version is not None and version >= Version("3.4")
    info = fetch_server_info(host_creds)
    assert info.status_code == 200 and info.data["store_type"] == "SqlStore"
