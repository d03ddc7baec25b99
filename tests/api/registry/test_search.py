"""registered-models/search and model-versions/search: filters, orders, pages and their errors."""
import pytest

from tests.api.helpers import INVALID, assert_error, make_api, next_ms, tags_of
from tests.api.registry.helpers import (PROMPT_TAG, aliases_of, create_model, create_version,
                                        delete, model_names, ok, patch, set_alias, version_keys)


# --- registered-models/search ---------------------------------------------------------------

@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """Read-only: models created a millisecond apart in the order beta, alpha, Alphabet, gamma,
    delta; alpha is tagged team=vision, Alphabet team=NLP, gamma team=vision and stage=prod."""
    api = make_api(tmp_path_factory, "registry_zoo")
    tags = {"alpha": {"team": "vision"}, "Alphabet": {"team": "NLP"},
            "gamma": {"team": "vision", "stage": "prod"}}
    for name in ("beta", "alpha", "Alphabet", "gamma", "delta"):
        next_ms()
        pairs = tags.get(name, {}).items()
        create_model(api, name, tags=[{"key": k, "value": v} for k, v in pairs])
    return api


def search_models(api, **params) -> dict:
    return api.ok_get("/registered-models/search", params)


def test_search_returns_all_models_by_name_when_no_arguments(zoo):
    response = search_models(zoo)
    assert model_names(response) == ["Alphabet", "alpha", "beta", "delta", "gamma"]
    assert "next_page_token" not in response
    gamma = response["registered_models"][-1]
    assert tags_of(gamma) == {"team": "vision", "stage": "prod"}
    assert gamma["latest_versions"] == [] and gamma["aliases"] == []


@pytest.mark.parametrize("filter_string, expected", [
    ("name = 'beta'", ["beta"]),
    ("name != 'beta'", ["Alphabet", "alpha", "delta", "gamma"]),
    ("name LIKE 'alpha%'", ["alpha"]),
    ("name LIKE '%a'", ["alpha", "beta", "delta", "gamma"]),
    ("name ILIKE 'alpha%'", ["Alphabet", "alpha"]),
    ("name = 'nobody'", []),
    ("tags.team = 'vision'", ["alpha", "gamma"]),
    ("tags.team != 'vision'", ["Alphabet"]),
    ("tags.team LIKE 'nlp'", []),
    ("tags.`team` ILIKE 'nlp'", ["Alphabet"]),
    ("tags.team = 'vision' AND tags.stage = 'prod'", ["gamma"]),
    ("name ILIKE 'a%' and tags.team LIKE 'N%'", ["Alphabet"]),
])
def test_search_filters_models_when_filter_is_given(zoo, filter_string, expected):
    assert model_names(search_models(zoo, filter=filter_string)) == expected


@pytest.mark.parametrize("order_by, expected", [
    (["name DESC"], ["gamma", "delta", "beta", "alpha", "Alphabet"]),
    (["name ASC"], ["Alphabet", "alpha", "beta", "delta", "gamma"]),
    (["last_updated_timestamp"], ["beta", "alpha", "Alphabet", "gamma", "delta"]),
    (["last_updated_timestamp DESC"], ["delta", "gamma", "Alphabet", "alpha", "beta"]),
    (["timestamp DESC"], ["delta", "gamma", "Alphabet", "alpha", "beta"]),
])
def test_search_orders_models_when_order_by_is_given(zoo, order_by, expected):
    assert model_names(search_models(zoo, order_by=order_by)) == expected


def test_search_orders_by_latest_change_when_a_model_is_updated(api):
    for name in ("lu-a", "lu-b", "lu-c"):
        next_ms()
        create_model(api, name)
    next_ms()
    ok(patch(api, "/registered-models/update", {"name": "lu-a", "description": "touched"}))
    response = search_models(api, filter="name LIKE 'lu-%'",
                             order_by=["last_updated_timestamp DESC"])
    assert model_names(response) == ["lu-a", "lu-c", "lu-b"]


def test_search_pages_through_all_models_when_max_results_is_small(zoo):
    first = search_models(zoo, max_results="2")
    assert model_names(first) == ["Alphabet", "alpha"]
    second = search_models(zoo, max_results="2", page_token=first["next_page_token"])
    assert model_names(second) == ["beta", "delta"]
    third = search_models(zoo, max_results="2", page_token=second["next_page_token"])
    assert model_names(third) == ["gamma"]
    assert "next_page_token" not in third


def test_search_pages_filtered_results_when_filter_and_order_are_kept(zoo):
    params = {"filter": "name != 'beta'", "order_by": ["name DESC"], "max_results": "3"}
    first = search_models(zoo, **params)
    second = search_models(zoo, **params, page_token=first["next_page_token"])
    assert model_names(first) + model_names(second) == ["gamma", "delta", "alpha", "Alphabet"]
    assert "next_page_token" not in second


def test_search_lists_latest_versions_and_aliases_when_models_have_versions(api):
    create_model(api, "with-versions")
    create_version(api, "with-versions")
    set_alias(api, "with-versions", "prod", "1")
    [model] = search_models(api, filter="name = 'with-versions'")["registered_models"]
    assert aliases_of(model) == {"prod": "1"}
    assert [(v["version"], v["aliases"]) for v in model["latest_versions"]] == [("1", ["prod"])]


def test_search_matches_listed_names_when_filter_uses_in(zoo):
    assert model_names(search_models(zoo, filter="name IN ('beta', 'gamma')")) == ["beta", "gamma"]


def test_search_keeps_untagged_models_when_client_excludes_prompts(zoo):
    response = search_models(zoo, filter=f"tag.`{PROMPT_TAG}` != 'true'")
    assert model_names(response) == ["Alphabet", "alpha", "beta", "delta", "gamma"]


def test_search_leaves_prompts_out_when_filter_does_not_ask_for_them(api):
    create_model(api, "pr-model")
    create_model(api, "pr-prompt", tags=[{"key": PROMPT_TAG, "value": "true"}])
    assert model_names(search_models(api, filter="name LIKE 'pr-%'")) == ["pr-model"]
    asked = f"name LIKE 'pr-%' AND tags.`{PROMPT_TAG}` = 'true'"
    assert model_names(search_models(api, filter=asked)) == ["pr-prompt"]


@pytest.fixture(scope="module")
def bare_api(tmp_path_factory):
    """Read-only: a new server; error cases must leave it unchanged."""
    return make_api(tmp_path_factory, "registry_bare")


class TestSearchRegisteredModelsErrors:
    @pytest.mark.parametrize("filter_string, mention", [
        ("name = ", "name = "),
        ("name > 'a'", ">"),
        ("name = beta", "beta"),
        ("description = 'x'", "description"),
        ("metrics.acc > 1", "metrics"),
        ("name = 'a' OR name = 'b'", "OR"),
        ("tags.team IN ('a')", "IN"),
        ("name = 'unclosed", "quote"),
    ])
    def test_rejects_when_filter_is_invalid(self, bare_api, filter_string, mention):
        assert_error(bare_api.get("/registered-models/search", {"filter": filter_string}),
                     INVALID, mention)

    @pytest.mark.parametrize("order_by", ["size", "name SIDEWAYS", "name ASC extra", "tags.team"])
    def test_rejects_when_order_by_is_invalid(self, bare_api, order_by):
        assert_error(bare_api.get("/registered-models/search", {"order_by": order_by}),
                     INVALID, order_by)

    @pytest.mark.parametrize("max_results", ["0", "-1", "1001", "many"])
    def test_rejects_when_max_results_is_out_of_range(self, bare_api, max_results):
        assert_error(bare_api.get("/registered-models/search", {"max_results": max_results}),
                     INVALID, "max_results")

    def test_rejects_when_page_token_is_forged(self, bare_api):
        assert_error(bare_api.get("/registered-models/search", {"page_token": "not-a-token"}),
                     INVALID, "page token")


# --- model-versions/search ------------------------------------------------------------------

@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Read-only: runs r1 and r2; alpha 1 (runs:/r1/model, env=prod), alpha 2 (s3://bucket/alpha/2,
    run r2, env=dev), alpha 3 (s3://bucket/alpha/3), alpha 4 (deleted), beta 1 (runs:/r2/model,
    env=Prod). Returns (api, {"r1": id, "r2": id})."""
    api = make_api(tmp_path_factory, "registry_fleet")
    runs = {name: api.create_run(run_name=name)["info"]["run_id"] for name in ("r1", "r2")}
    create_model(api, "alpha")
    create_model(api, "beta")
    create_version(api, "alpha", source=f"runs:/{runs['r1']}/model",
                   tags=[{"key": "env", "value": "prod"}])
    create_version(api, "alpha", source="s3://bucket/alpha/2", run_id=runs["r2"],
                   tags=[{"key": "env", "value": "dev"}])
    create_version(api, "alpha", source="s3://bucket/alpha/3")
    create_version(api, "alpha", source="s3://bucket/alpha/4")
    ok(delete(api, "/model-versions/delete", {"name": "alpha", "version": "4"}))
    create_version(api, "beta", source=f"runs:/{runs['r2']}/model",
                   tags=[{"key": "env", "value": "Prod"}])
    return api, runs


def search_versions(api, **params) -> dict:
    return api.ok_get("/model-versions/search", params)


def test_search_versions_returns_live_versions_when_no_arguments(fleet):
    api, runs = fleet
    response = search_versions(api)
    assert sorted(version_keys(response)) == [("alpha", "1"), ("alpha", "2"), ("alpha", "3"),
                                              ("beta", "1")]
    assert "next_page_token" not in response
    by_key = {(v["name"], v["version"]): v for v in response["model_versions"]}
    assert by_key[("beta", "1")]["run_id"] == runs["r2"]
    assert tags_of(by_key[("alpha", "1")]) == {"env": "prod"}


def test_search_versions_orders_newest_version_first_when_filtered_by_name(fleet):
    api, _ = fleet
    assert version_keys(search_versions(api, filter="name = 'alpha'")) == [
        ("alpha", "3"), ("alpha", "2"), ("alpha", "1")]


@pytest.mark.parametrize("filter_template, expected", [
    ("run_id = '{r1}'", [("alpha", "1")]),
    ("run_id = '{r2}'", [("alpha", "2"), ("beta", "1")]),
    ("run_id IN ('{r1}', '{r2}')", [("alpha", "1"), ("alpha", "2"), ("beta", "1")]),
    ("name = 'alpha' AND run_id = '{r2}'", [("alpha", "2")]),
    ("source_path = 's3://bucket/alpha/2'", [("alpha", "2")]),
    ("source_path LIKE 's3://bucket/%'", [("alpha", "2"), ("alpha", "3")]),
    ("source_path = 's3://bucket/alpha/4'", []),
    ("version_number = 1", [("alpha", "1"), ("beta", "1")]),
    ("name = 'alpha' AND version_number >= 2", [("alpha", "2"), ("alpha", "3")]),
    ("tags.env = 'prod'", [("alpha", "1")]),
    ("tags.env ILIKE 'prod'", [("alpha", "1"), ("beta", "1")]),
    ("tags.env != 'prod'", [("alpha", "2"), ("beta", "1")]),
    ("name LIKE 'al%'", [("alpha", "1"), ("alpha", "2"), ("alpha", "3")]),
    ("name = 'nobody'", []),
])
def test_search_versions_filters_when_filter_is_given(fleet, filter_template, expected):
    api, runs = fleet
    response = search_versions(api, filter=filter_template.format(**runs))
    assert sorted(version_keys(response)) == expected


@pytest.mark.parametrize("order_by, expected", [
    (["version_number DESC"], [("alpha", "3"), ("alpha", "2"), ("alpha", "1")]),
    (["version_number ASC"], [("alpha", "1"), ("alpha", "2"), ("alpha", "3")]),
    (["creation_timestamp DESC"], [("alpha", "3"), ("alpha", "2"), ("alpha", "1")]),
])
def test_search_versions_orders_when_order_by_is_given(fleet, order_by, expected):
    api, _ = fleet
    assert version_keys(search_versions(api, filter="name = 'alpha'",
                                        order_by=order_by)) == expected


def test_search_versions_orders_by_name_then_version_when_asked(fleet):
    api, _ = fleet
    response = search_versions(api, order_by=["name DESC", "version_number ASC"])
    assert version_keys(response) == [("beta", "1"), ("alpha", "1"), ("alpha", "2"), ("alpha", "3")]


def test_search_versions_pages_through_all_when_max_results_is_small(fleet):
    api, _ = fleet
    params = {"order_by": ["name ASC", "version_number ASC"], "max_results": "3"}
    first = search_versions(api, **params)
    assert version_keys(first) == [("alpha", "1"), ("alpha", "2"), ("alpha", "3")]
    second = search_versions(api, **params, page_token=first["next_page_token"])
    assert version_keys(second) == [("beta", "1")]
    assert "next_page_token" not in second


def test_search_versions_matches_listed_names_when_filter_uses_in(fleet):
    api, _ = fleet
    response = search_versions(api, filter="name IN ('beta')")
    assert version_keys(response) == [("beta", "1")]


def test_search_versions_lists_latest_change_first_when_no_order_is_given(api):
    create_model(api, "order-a")
    create_model(api, "order-b")
    for name in ("order-a", "order-b", "order-a"):
        next_ms()
        create_version(api, name)
    found = search_versions(api, filter="name LIKE 'order-%'")
    assert version_keys(found) == [("order-a", "2"), ("order-b", "1"), ("order-a", "1")]


class TestSearchModelVersionsErrors:
    @pytest.mark.parametrize("filter_string, mention", [
        ("description = 'x'", "description"),
        ("version_number = 'one'", "version_number"),
        ("version_number > 1.5", "version_number"),
        ("tags.env IN ('a')", "IN"),
        ("source_path > 's3'", ">"),
        ("run_id = abc", "abc"),
        ("name = 'a' OR name = 'b'", "OR"),
        ("name = ", "name = "),
    ])
    def test_rejects_when_filter_is_invalid(self, bare_api, filter_string, mention):
        assert_error(bare_api.get("/model-versions/search", {"filter": filter_string}), INVALID,
                     mention)

    @pytest.mark.parametrize("order_by", ["size", "version_number SIDEWAYS", "tags.env"])
    def test_rejects_when_order_by_is_invalid(self, bare_api, order_by):
        assert_error(bare_api.get("/model-versions/search", {"order_by": order_by}), INVALID,
                     order_by)

    @pytest.mark.parametrize("max_results", ["0", "200001", "lots"])
    def test_rejects_when_max_results_is_out_of_range(self, bare_api, max_results):
        assert_error(bare_api.get("/model-versions/search", {"max_results": max_results}),
                     INVALID, "max_results")

    def test_rejects_when_page_token_is_forged(self, bare_api):
        assert_error(bare_api.get("/model-versions/search", {"page_token": "%%%"}), INVALID,
                     "page token")
