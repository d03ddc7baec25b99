"""Search through the real client: filters, ordering, several experiments, view types, paging."""
import pytest
from mlflow.entities import ViewType


@pytest.fixture
def two_experiments(mlflow, client, unique_name):
    """Two experiments, three runs each (lr, acc, a tag); the second run of each is deleted."""
    ids, runs = [], {}
    for e in range(2):
        experiment_id = client.create_experiment(f"{unique_name}-{e}")
        ids.append(experiment_id)
        for r, lr in enumerate(("0.1", "0.01", "0.001")):
            run = client.create_run(experiment_id, run_name=f"e{e}r{r}")
            client.log_param(run.info.run_id, "lr", lr)
            client.log_metric(run.info.run_id, "acc", 0.5 + e * 0.1 + r * 0.01)
            client.set_tag(run.info.run_id, "phase", "sweep" if r else "baseline")
            client.set_terminated(run.info.run_id)
            runs[f"e{e}r{r}"] = run.info.run_id
        client.delete_run(runs[f"e{e}r1"])
    return ids, runs


def test_dataframe_has_metric_param_and_tag_columns_when_searching_fluently(mlflow, two_experiments):
    ids, _ = two_experiments
    frame = mlflow.search_runs(experiment_ids=ids, filter_string="metrics.acc > 0.55",
                               order_by=["metrics.acc DESC"])
    assert list(frame["tags.mlflow.runName"]) == ["e1r2", "e1r0"]
    assert list(frame["params.lr"]) == ["0.001", "0.1"]
    assert list(frame["metrics.acc"]) == [pytest.approx(0.62), pytest.approx(0.6)]
    assert set(frame["tags.phase"]) == {"sweep", "baseline"}


@pytest.mark.parametrize("view, expected", [
    (ViewType.ACTIVE_ONLY, {"e0r0", "e0r2", "e1r0", "e1r2"}),
    (ViewType.DELETED_ONLY, {"e0r1", "e1r1"}),
    (ViewType.ALL, {"e0r0", "e0r1", "e0r2", "e1r0", "e1r1", "e1r2"}),
])
def test_view_type_selects_runs_when_searching_several_experiments(client, two_experiments, view, expected):
    ids, _ = two_experiments
    found = client.search_runs(ids, run_view_type=view)
    assert {r.info.run_name for r in found} == expected


def test_params_and_tags_filter_with_like_and_in_when_client_searches(client, two_experiments):
    ids, _ = two_experiments
    found = client.search_runs(ids, filter_string="params.lr IN ('0.1', '0.001') and tags.phase LIKE 'sw%'",
                               order_by=["attributes.run_name"])
    assert [r.info.run_name for r in found] == ["e0r2", "e1r2"]


def test_paging_returns_each_run_once_when_client_pages(client, two_experiments):
    ids, runs = two_experiments
    seen, token = [], None
    while True:
        page = client.search_runs(ids, run_view_type=ViewType.ALL, max_results=4, page_token=token,
                                  order_by=["metrics.acc ASC"])
        seen += [r.info.run_id for r in page]
        token = page.token
        if not token:
            break
    assert sorted(seen) == sorted(runs.values())


def test_bad_filter_raises_invalid_parameter_when_client_searches(client, two_experiments):
    from mlflow.exceptions import MlflowException

    ids, _ = two_experiments
    with pytest.raises(MlflowException) as info:
        client.search_runs(ids, filter_string="metrics.acc LIKE '0.5'")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
