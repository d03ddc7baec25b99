"""logged-models/search: experiments, filters, orders, pages, its errors and MLflow's quirks."""
import uuid

import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, next_ms
from tests.api.logged_models.helpers import log_metric, model_id_of


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
