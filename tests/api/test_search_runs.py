"""runs/search: experiments, paging, view type, order_by and filters."""
import base64
import json

import pytest

from tests.api.helpers import INVALID, assert_error, make_api


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Read-only: experiment "a" with runs a1..a4 (a3 deleted), experiment "b" with b1, b2.

    start_time is 1000 × the run's number (b1 = 5000, b2 = 6000); metrics, params and tags vary.
    """
    api = make_api(tmp_path_factory, "runs_world")
    a = api.create_experiment("a")
    b = api.create_experiment("b")
    ids = {}
    specs = [
        (a, "a1", 1000, {"acc": 0.5}, {"lr": "0.1"}, {"team": "vision"}),
        (a, "a2", 2000, {"acc": 0.9}, {"lr": "0.01"}, {"team": "language"}),
        (a, "a3", 3000, {"acc": 0.7}, {"lr": "0.1"}, {}),
        (a, "a4", 4000, {}, {}, {"team": "vision"}),
        (b, "b1", 5000, {"acc": 0.8}, {"lr": "0.1"}, {}),
        (b, "b2", 6000, {}, {}, {}),
    ]
    for experiment_id, name, start, metrics, params, tags in specs:
        run_id = api.create_run(experiment_id, run_name=name, start_time=start,
                                tags=[{"key": k, "value": v} for k, v in tags.items()])["info"]["run_id"]
        api.ok_post("/runs/log-batch", {
            "run_id": run_id,
            "metrics": [{"key": k, "value": v, "timestamp": start, "step": 0}
                        for k, v in metrics.items()],
            "params": [{"key": k, "value": v} for k, v in params.items()],
        })
        ids[name] = run_id
    api.ok_post("/runs/update", {"run_id": ids["a2"], "status": "FINISHED", "end_time": 2500})
    api.ok_post("/runs/delete", {"run_id": ids["a3"]})
    return {"api": api, "a": a, "b": b, "ids": ids}


def search(world, **body) -> dict:
    return world["api"].ok_post("/runs/search", body)


def run_names(response: dict) -> list[str]:
    return [r["info"]["run_name"] for r in response.get("runs", [])]


def test_search_returns_runs_newest_first_when_no_order_is_given(world):
    response = search(world, experiment_ids=[world["a"]])
    assert run_names(response) == ["a4", "a2", "a1"]
    assert "next_page_token" not in response


def test_search_returns_runs_with_data_when_runs_have_data(world):
    (run,) = search(world, experiment_ids=[world["a"]], filter="attributes.run_name = 'a2'")["runs"]
    assert run["info"]["run_id"] == world["ids"]["a2"]
    assert run["info"]["status"] == "FINISHED"
    assert run["info"]["end_time"] == 2500
    assert run["data"]["metrics"] == [{"key": "acc", "value": 0.9, "timestamp": 2000, "step": 0}]
    assert run["data"]["params"] == [{"key": "lr", "value": "0.01"}]
    assert {"key": "team", "value": "language"} in run["data"]["tags"]


def test_search_spans_experiments_when_several_ids_are_given(world):
    response = search(world, experiment_ids=[world["a"], world["b"]])
    assert run_names(response) == ["b2", "b1", "a4", "a2", "a1"]


def test_search_returns_no_runs_when_experiment_ids_are_empty(world):
    assert search(world, experiment_ids=[]).get("runs", []) == []


def test_search_answers_get_with_query_string_when_called_by_get(world):
    response = world["api"].ok_get("/runs/search", {
        "experiment_ids": [world["a"], world["b"]], "filter": "params.lr = '0.1'",
        "order_by": ["attributes.start_time ASC"]})
    assert run_names(response) == ["a1", "b1"]


@pytest.mark.parametrize("view_type, expected", [
    ("ACTIVE_ONLY", ["a4", "a2", "a1"]),
    ("DELETED_ONLY", ["a3"]),
    ("ALL", ["a4", "a3", "a2", "a1"]),
    (2, ["a3"]),
])
def test_search_filters_lifecycle_when_run_view_type_is_given(world, view_type, expected):
    assert run_names(search(world, experiment_ids=[world["a"]], run_view_type=view_type)) == expected


@pytest.mark.parametrize("order_by, expected", [
    (["attributes.start_time"], ["a1", "a2", "a4", "b1", "b2"]),
    (["attributes.start_time ASC"], ["a1", "a2", "a4", "b1", "b2"]),
    (["attributes.start_time DESC"], ["b2", "b1", "a4", "a2", "a1"]),
    (["start_time"], ["a1", "a2", "a4", "b1", "b2"]),
    (["attributes.run_name DESC"], ["b2", "b1", "a4", "a2", "a1"]),
    (["metrics.acc DESC"], ["a2", "b1", "a1", "b2", "a4"]),
    (["params.lr", "attributes.start_time"], ["a2", "a1", "b1", "a4", "b2"]),
])
def test_search_sorts_when_order_by_is_given(world, order_by, expected):
    response = search(world, experiment_ids=[world["a"], world["b"]], order_by=order_by)
    assert run_names(response) == expected


def test_search_pages_through_all_runs_when_max_results_is_small(world):
    seen, token, pages = [], None, 0
    while True:
        body = {"experiment_ids": [world["a"], world["b"]], "max_results": 2,
                "order_by": ["attributes.start_time"]}
        if token:
            body["page_token"] = token
        response = search(world, **body)
        pages += 1
        assert len(response["runs"]) <= 2
        seen += run_names(response)
        token = response.get("next_page_token")
        if not token:
            break
    assert pages == 3
    assert seen == ["a1", "a2", "a4", "b1", "b2"]


@pytest.mark.parametrize("order_by", [
    [], ["attributes.start_time DESC"], ["metrics.acc DESC"], ["metrics.acc"], ["params.lr"],
    ["tags.team DESC"], ["attributes.run_name"], ["attributes.status", "metrics.acc DESC"],
], ids=repr)
@pytest.mark.parametrize("page_size", [1, 2])
def test_paging_matches_one_big_page_when_order_by_varies(world, order_by, page_size):
    base = {"experiment_ids": [world["a"], world["b"]], "order_by": order_by,
            "run_view_type": "ALL"}
    everything = run_names(search(world, **base))
    seen, token = [], None
    for _ in range(10):
        response = search(world, **base, max_results=page_size, **({"page_token": token} if token else {}))
        seen += run_names(response)
        token = response.get("next_page_token")
        if not token:
            break
    assert len(everything) == 6
    assert seen == everything


@pytest.mark.parametrize("filter_string, expected", [
    ("params.lr = '0.1'", ["b1", "a1"]),
    ("metrics.acc > 0.6", ["b1", "a2"]),
    ("metrics.acc >= 0.5 and params.lr != '0.1'", ["a2"]),
    ("tags.team = 'vision'", ["a4", "a1"]),
    ("tags.team LIKE 'V%'", []),
    ("tags.team ILIKE 'V%'", ["a4", "a1"]),
    ("attributes.status = 'FINISHED'", ["a2"]),
    ("attributes.start_time > 3500", ["b2", "b1", "a4"]),
    ("tags.mlflow.runName = 'b1'", ["b1"]),
    ("metrics.missing > 0", []),
])
def test_search_matches_runs_when_filter_is_given(world, filter_string, expected):
    response = search(world, experiment_ids=[world["a"], world["b"]], filter=filter_string)
    assert run_names(response) == expected


def test_search_finds_run_by_id_when_filter_names_run_id(world):
    ids = world["ids"]
    response = search(world, experiment_ids=[world["b"]], filter=f"attributes.run_id = '{ids['b1']}'")
    assert [r["info"]["run_id"] for r in response["runs"]] == [ids["b1"]]
    listed = search(world, experiment_ids=[world["a"], world["b"]],
                    filter=f"attributes.run_id IN ('{ids['a1']}', '{ids['b2']}', '{ids['a3']}')")
    assert run_names(listed) == ["b2", "a1"]


class TestSearchRunsErrors:
    @pytest.mark.parametrize("filter_string, mention", [
        ("metrics.acc >", "metrics.acc >"),
        ("metrics.acc > 'high'", "'acc'"),
        ("acc > 1", "'acc'"),
        ("params.lr = '0.1' OR params.lr = '0.2'", "OR"),
        ("attributes.color = 'red'", "'color'"),
        ("params.lr = 0.1", "'lr'"),
        ("shapes.circle = 'x'", "'shapes'"),
        ("attributes.run_name IN ('a1', 'b2')", "run_name"),
    ])
    def test_rejects_when_filter_is_invalid(self, world, filter_string, mention):
        result = world["api"].post("/runs/search",
                                   {"experiment_ids": [world["a"]], "filter": filter_string})
        assert_error(result, INVALID, mention)

    @pytest.mark.parametrize("order_by, mention", [
        (["attributes.color"], "'color'"),
        (["runs.start_time"], "'runs'"),
        (["params.`lr"], "params.`lr"),
        ([""], "order_by"),
    ])
    def test_rejects_when_order_by_is_invalid(self, world, order_by, mention):
        result = world["api"].post("/runs/search",
                                   {"experiment_ids": [world["a"]], "order_by": order_by})
        assert_error(result, INVALID, mention)

    def test_rejects_when_order_by_direction_is_misspelt(self, world):
        result = world["api"].post("/runs/search", {"experiment_ids": [world["a"]],
                                                    "order_by": ["metrics.acc DESCENDING"]})
        assert_error(result, INVALID, "metrics.acc DESCENDING")

    @pytest.mark.parametrize("max_results", [0, 50001])
    def test_rejects_when_max_results_is_out_of_range(self, world, max_results):
        result = world["api"].post("/runs/search",
                                   {"experiment_ids": [world["a"]], "max_results": max_results})
        assert_error(result, INVALID, "max_results", str(max_results))

    def test_rejects_when_page_token_was_not_issued_by_server(self, world):
        result = world["api"].post("/runs/search",
                                   {"experiment_ids": [world["a"]], "page_token": "garbage"})
        assert_error(result, INVALID, "page token")

    def test_rejects_when_experiment_id_is_not_a_number(self, world):
        assert_error(world["api"].post("/runs/search", {"experiment_ids": ["abc"]}), INVALID, "'abc'")

    def test_rejects_when_experiment_ids_is_not_a_list(self, world):
        assert_error(world["api"].post("/runs/search", {"experiment_ids": world["a"]}),
                     INVALID, "'experiment_ids'")

    def test_rejects_when_run_view_type_is_unknown(self, world):
        result = world["api"].post("/runs/search",
                                   {"experiment_ids": [world["a"]], "run_view_type": "SOME"})
        assert_error(result, INVALID, "'run_view_type'")

    def test_rejects_when_page_token_offset_is_beyond_int64(self, world):
        token = base64.urlsafe_b64encode(json.dumps({"offset": 2 ** 70}).encode()).decode()
        result = world["api"].post("/runs/search",
                                   {"experiment_ids": [world["a"]], "page_token": token})
        assert_error(result, INVALID, "page token")


@pytest.fixture(scope="module")
def special_world(tmp_path_factory):
    """Read-only: five runs with one start_time; acc is 0.5, -1, NaN, +Infinity or missing."""
    api = make_api(tmp_path_factory, "runs_special")
    experiment_id = api.create_experiment("special")
    ids = {}
    for name, acc in [("pos", 0.5), ("neg", -1.0), ("nan", "NaN"), ("none", None), ("inf", "Infinity")]:
        ids[name] = api.create_run(experiment_id, run_name=name, start_time=1000)["info"]["run_id"]
        if acc is not None:
            api.ok_post("/runs/log-metric", {"run_id": ids[name], "key": "acc", "value": acc,
                                             "timestamp": 1})
    return {"api": api, "experiment_id": experiment_id, "ids": ids}


def search_special(special_world, **body) -> dict:
    return special_world["api"].ok_post(
        "/runs/search", {"experiment_ids": [special_world["experiment_id"]], **body})


@pytest.mark.parametrize("page_size", [1, 2])
def test_paging_matches_one_big_page_when_sort_values_tie_or_are_special(special_world, page_size):
    for order_by in ([], ["metrics.acc DESC"], ["metrics.acc"]):
        everything = run_names(search_special(special_world, order_by=order_by))
        seen, token = [], None
        for _ in range(10):
            response = search_special(special_world, order_by=order_by, max_results=page_size,
                                      **({"page_token": token} if token else {}))
            seen += run_names(response)
            token = response.get("next_page_token")
            if not token:
                break
        assert sorted(everything) == ["inf", "nan", "neg", "none", "pos"]
        assert seen == everything, order_by


def test_filter_skips_nan_when_comparing_metrics(special_world):
    """NaN compares false with every number (IEEE); MLflow's SQL store would match it as 0."""
    response = search_special(special_world, filter="metrics.acc > -5")
    assert sorted(run_names(response)) == ["inf", "neg", "pos"]


@pytest.mark.parametrize("order_by, expected", [
    ("metrics.acc DESC", ["inf", "pos", "neg", "nan", "none"]),
    ("metrics.acc", ["neg", "pos", "inf", "nan", "none"]),
])
def test_nan_sorts_after_numbers_when_ordering_by_metric(special_world, order_by, expected):
    assert run_names(search_special(special_world, order_by=[order_by])) == expected


def test_ties_break_by_run_id_ascending_when_start_times_are_equal(special_world):
    runs = search_special(special_world)["runs"]
    run_ids = [r["info"]["run_id"] for r in runs]
    assert run_ids == sorted(special_world["ids"].values())


def test_rejects_when_order_by_repeats_a_field(special_world):
    result = special_world["api"].post("/runs/search", {
        "experiment_ids": [special_world["experiment_id"]],
        "order_by": ["metrics.acc", "metrics.acc DESC"]})
    assert_error(result, INVALID, "metrics.acc")


def test_rejects_when_filter_has_more_comparisons_than_the_limit(world):
    """Found by the fuzzer: 1,100 comparisons took seconds, then SQLite refused the expression
    depth (500)."""
    clauses = ["metrics.acc > 0"] * 100
    assert run_names(search(world, experiment_ids=[world["a"]], filter=" AND ".join(clauses)))
    result = world["api"].post("/runs/search", {"experiment_ids": [world["a"]],
                                                "filter": " AND ".join(clauses * 11)})
    assert_error(result, INVALID, "more than 100 comparisons")


def test_rejects_when_order_by_has_more_clauses_than_the_limit(world):
    """Found by the fuzzer: each metric key is a join, and SQLite joins at most 64 tables (500)."""
    keys = [f"metrics.k{i}" for i in range(20)]
    assert len(search(world, experiment_ids=[world["a"]], order_by=keys)["runs"]) == 3
    result = world["api"].post("/runs/search", {"experiment_ids": [world["a"]],
                                                "order_by": [f"metrics.k{i}" for i in range(65)]})
    assert_error(result, INVALID, "at most 20")


def test_paging_sees_every_existing_run_once_when_runs_are_created_between_pages(api):
    """Keyset paging: runs created mid-way (newer start_time) never shift or repeat old ones."""
    experiment_id = api.create_experiment("paging-while-logging")
    existing = {api.create_run(experiment_id, start_time=1000 + i)["info"]["run_id"] for i in range(25)}
    seen, token, created = [], None, 0
    while True:
        body = {"experiment_ids": [experiment_id], "max_results": 5}
        if token:
            body["page_token"] = token
        page = api.ok_post("/runs/search", body)
        seen += [r["info"]["run_id"] for r in page.get("runs", [])]
        api.create_run(experiment_id, start_time=5000 + created)  # a new run arrives between pages
        created += 1
        token = page.get("next_page_token")
        if not token:
            break
    assert len([r for r in seen if r in existing]) == len(existing)
    assert set(seen) >= existing
    assert len(seen) == len(set(seen))
