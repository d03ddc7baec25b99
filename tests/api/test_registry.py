"""Model registry: registered models, model versions, their tags, aliases, stages and searches.

Reference for behaviour: MLflow's model registry SQL store and server handlers. Where mlexp
differs from MLflow the test asserts MLflow's behaviour and is marked xfail(strict=True).
"""
import pytest

from tests.api.helpers import (EXISTS, INVALID, NOT_FOUND, assert_error, make_api, next_ms, now_ms,
                               tags_of)

AJAX = "/ajax-api/2.0/mlflow"
PROMPT_TAG = "mlflow.prompt.is_prompt"


# --- helpers --------------------------------------------------------------------------------

def delete(api, path: str, body: dict):
    """DELETE with a JSON body, as MLflow's client sends it; returns (status, json)."""
    response = api.client.delete(api.prefix + path, json=body)
    return response.status_code, response.get_json()


def patch(api, path: str, body: dict):
    response = api.client.patch(api.prefix + path, json=body)
    return response.status_code, response.get_json()


def ok(result) -> dict:
    status, body = result
    assert status == 200, body
    return body


def create_model(api, name: str, **body) -> dict:
    return api.ok_post("/registered-models/create", {"name": name, **body})["registered_model"]


def get_model(api, name: str) -> dict:
    return api.ok_get("/registered-models/get", {"name": name})["registered_model"]


def create_version(api, name: str, source: str = "s3://bucket/model", **body) -> dict:
    return api.ok_post("/model-versions/create",
                       {"name": name, "source": source, **body})["model_version"]


def get_version(api, name: str, version: str) -> dict:
    return api.ok_get("/model-versions/get", {"name": name, "version": version})["model_version"]


def transition(api, name: str, version: str, stage: str, archive: bool = False) -> dict:
    return api.ok_post("/model-versions/transition-stage",
                       {"name": name, "version": version, "stage": stage,
                        "archive_existing_versions": archive})["model_version"]


def set_alias(api, name: str, alias: str, version: str) -> None:
    assert api.ok_post("/registered-models/alias",
                       {"name": name, "alias": alias, "version": version}) == {}


def model_names(response: dict) -> list[str]:
    return [m["name"] for m in response.get("registered_models", [])]


def version_keys(response: dict) -> list[tuple[str, str]]:
    return [(v["name"], v["version"]) for v in response.get("model_versions", [])]


def stages_of(versions: list[dict]) -> dict:
    """{stage: version} of a latest_versions list (one version per stage)."""
    return {v["current_stage"]: v["version"] for v in versions}


def aliases_of(model: dict) -> dict:
    return {a["alias"]: a["version"] for a in model["aliases"]}


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One server for the module's writing tests (a new app costs more than most tests): each
    test uses model names of its own, and searches filter on them."""
    return make_api(tmp_path_factory, "registry")


@pytest.fixture
def experiment_id(api, request):
    """A new experiment per test, named after it."""
    return api.create_experiment(request.node.name)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """For error cases, whose requests must all fail: model "champ" with versions 1 and 2
    (alias "best" on 2, tag k=v on both the model and version 1) and the empty model "bare".
    Returns the api."""
    api = make_api(tmp_path_factory, "registry_errors")
    create_model(api, "champ", tags=[{"key": "k", "value": "v"}])
    create_model(api, "bare")
    create_version(api, "champ", tags=[{"key": "k", "value": "v"}])
    create_version(api, "champ")
    set_alias(api, "champ", "best", "2")
    return api


# --- registered-models/create and get -------------------------------------------------------

def test_create_returns_model_with_tags_and_description_when_all_fields_are_given(api):
    before = now_ms()
    model = create_model(api, "churn", description="predicts churn",
                         tags=[{"key": "team", "value": "growth"}, {"key": "tier", "value": "1"}])
    after = now_ms()
    assert model["name"] == "churn"
    assert model["description"] == "predicts churn"
    assert tags_of(model) == {"team": "growth", "tier": "1"}
    assert model["latest_versions"] == [] and model["aliases"] == []
    assert before <= model["creation_timestamp"] <= after
    assert model["last_updated_timestamp"] == model["creation_timestamp"]


def test_create_keeps_last_value_when_a_tag_key_repeats(api):
    model = create_model(api, "dupe", tags=[{"key": "k", "value": "first"},
                                            {"key": "k", "value": "second"}])
    assert tags_of(model) == {"k": "second"}


def test_get_returns_what_create_stored_when_fetched_by_name(api):
    created = create_model(api, "stored", description="d", tags=[{"key": "a", "value": "b"}])
    assert get_model(api, "stored") == created


def test_get_includes_versions_and_aliases_when_model_has_them(api):
    create_model(api, "full")
    create_version(api, "full", source="s3://bucket/1")
    create_version(api, "full", source="s3://bucket/2")
    set_alias(api, "full", "champion", "1")
    model = get_model(api, "full")
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    [latest] = model["latest_versions"]
    assert (latest["name"], latest["version"], latest["current_stage"]) == ("full", "2", "None")
    assert latest["source"] == "s3://bucket/2" and latest["aliases"] == []


def test_create_is_served_under_ajax_prefix_when_called_by_the_ui(api):
    client = api.client
    response = client.post(AJAX + "/registered-models/create", json={"name": "from-ui"})
    assert response.status_code == 200
    assert response.get_json()["registered_model"]["name"] == "from-ui"
    assert get_model(api, "from-ui")["name"] == "from-ui"
    fetched = client.get(AJAX + "/registered-models/get", query_string={"name": "from-ui"})
    assert fetched.get_json()["registered_model"]["name"] == "from-ui"


class TestCreateRegisteredModelErrors:
    def test_rejects_when_name_is_taken(self, seeded):
        assert_error(seeded.post("/registered-models/create", {"name": "champ"}), EXISTS, "champ")

    def test_rejects_when_name_is_missing(self, seeded):
        assert_error(seeded.post("/registered-models/create", {}), INVALID, "'name'")

    @pytest.mark.parametrize("name", ["", "   "])
    def test_rejects_when_name_is_empty(self, seeded, name):
        assert_error(seeded.post("/registered-models/create", {"name": name}), INVALID, "name")

    def test_rejects_when_name_is_not_a_string(self, seeded):
        assert_error(seeded.post("/registered-models/create", {"name": 7}), INVALID, "'name'")

    @pytest.mark.parametrize("key", ["", "bad\nkey", "../escape"])
    def test_rejects_when_a_tag_key_is_invalid(self, seeded, key):
        body = {"name": "tagged", "tags": [{"key": key, "value": "v"}]}
        assert_error(seeded.post("/registered-models/create", body), INVALID)
        assert_error(seeded.get("/registered-models/get", {"name": "tagged"}), NOT_FOUND)

    def test_rejects_when_a_tag_value_is_too_long(self, seeded):
        body = {"name": "long", "tags": [{"key": "k", "value": "x" * 100_001}]}
        assert_error(seeded.post("/registered-models/create", body), INVALID, "100000")

    @pytest.mark.parametrize("name", ["team/model", "team:model"])
    def test_rejects_when_name_contains_a_uri_separator(self, api, name):
        assert_error(api.post("/registered-models/create", {"name": name}), INVALID, name)


class TestGetRegisteredModelErrors:
    def test_rejects_when_model_is_unknown(self, seeded):
        assert_error(seeded.get("/registered-models/get", {"name": "ghost"}), NOT_FOUND, "ghost")

    def test_rejects_when_name_is_missing(self, seeded):
        assert_error(seeded.get("/registered-models/get"), INVALID, "'name'")


# --- rename ---------------------------------------------------------------------------------

def test_rename_moves_versions_and_aliases_when_new_name_is_free(api):
    create_model(api, "rn-old", tags=[{"key": "k", "value": "v"}])
    create_version(api, "rn-old")
    create_version(api, "rn-old")
    set_alias(api, "rn-old", "champion", "2")
    before = get_model(api, "rn-old")["last_updated_timestamp"]
    next_ms()
    renamed = api.ok_post("/registered-models/rename",
                          {"name": "rn-old", "new_name": "rn-new"})["registered_model"]
    assert renamed["name"] == "rn-new"
    assert renamed["last_updated_timestamp"] > before
    assert tags_of(renamed) == {"k": "v"}
    assert aliases_of(renamed) == {"champion": "2"}
    assert [v["name"] for v in renamed["latest_versions"]] == ["rn-new"]
    assert get_version(api, "rn-new", "1")["name"] == "rn-new"
    by_alias = api.ok_get("/registered-models/alias", {"name": "rn-new", "alias": "champion"})
    moved = by_alias["model_version"]
    assert (moved["name"], moved["version"]) == ("rn-new", "2")
    found = api.ok_get("/model-versions/search", {"filter": "name = 'rn-new'"})
    assert version_keys(found) == [("rn-new", "2"), ("rn-new", "1")]
    assert_error(api.get("/registered-models/get", {"name": "rn-old"}), NOT_FOUND, "rn-old")
    assert_error(api.get("/model-versions/get", {"name": "rn-old", "version": "1"}), NOT_FOUND)


def test_rename_continues_version_numbers_when_versions_are_added_after_rename(api):
    create_model(api, "before")
    create_version(api, "before")
    api.ok_post("/registered-models/rename", {"name": "before", "new_name": "after"})
    assert create_version(api, "after")["version"] == "2"


def test_rename_frees_old_name_when_model_is_renamed(api):
    create_model(api, "rn-first")
    api.ok_post("/registered-models/rename", {"name": "rn-first", "new_name": "rn-second"})
    assert create_model(api, "rn-first")["latest_versions"] == []


class TestRenameRegisteredModelErrors:
    def test_rejects_when_new_name_is_taken(self, seeded):
        result = seeded.post("/registered-models/rename", {"name": "bare", "new_name": "champ"})
        assert_error(result, EXISTS, "champ")
        assert get_model(seeded, "bare")["name"] == "bare"

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.post("/registered-models/rename", {"name": "ghost", "new_name": "spirit"})
        assert_error(result, NOT_FOUND, "ghost")

    @pytest.mark.parametrize("new_name", ["", "   "])
    def test_rejects_when_new_name_is_empty(self, seeded, new_name):
        result = seeded.post("/registered-models/rename", {"name": "bare", "new_name": new_name})
        assert_error(result, INVALID, "name")

    def test_rejects_when_new_name_is_missing(self, seeded):
        assert_error(seeded.post("/registered-models/rename", {"name": "bare"}), INVALID,
                     "'new_name'")


# --- update ---------------------------------------------------------------------------------

def test_update_sets_description_when_patched(api):
    created = create_model(api, "described", description="old")
    next_ms()
    updated = ok(patch(api, "/registered-models/update",
                       {"name": "described", "description": "new"}))["registered_model"]
    assert updated["description"] == "new"
    assert updated["last_updated_timestamp"] > created["last_updated_timestamp"]
    assert updated["creation_timestamp"] == created["creation_timestamp"]
    assert get_model(api, "described")["description"] == "new"


class TestUpdateRegisteredModelErrors:
    def test_rejects_when_model_is_unknown(self, seeded):
        result = patch(seeded, "/registered-models/update", {"name": "ghost", "description": "d"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_name_is_missing(self, seeded):
        assert_error(patch(seeded, "/registered-models/update", {"description": "d"}), INVALID,
                     "'name'")


# --- delete ---------------------------------------------------------------------------------

def test_delete_removes_versions_and_aliases_when_model_is_deleted(api):
    create_model(api, "doomed", tags=[{"key": "k", "value": "v"}])
    create_version(api, "doomed", tags=[{"key": "vk", "value": "vv"}])
    create_version(api, "doomed")
    set_alias(api, "doomed", "champion", "1")
    assert ok(delete(api, "/registered-models/delete", {"name": "doomed"})) == {}
    assert_error(api.get("/registered-models/get", {"name": "doomed"}), NOT_FOUND, "doomed")
    assert_error(api.get("/model-versions/get", {"name": "doomed", "version": "1"}), NOT_FOUND)
    assert api.ok_get("/model-versions/search",
                      {"filter": "name = 'doomed'"}).get("model_versions", []) == []
    # A new model of the same name starts afresh: nothing of the old one comes back.
    reborn = create_model(api, "doomed")
    assert reborn["latest_versions"] == [] and reborn["aliases"] == [] and reborn["tags"] == []
    version = create_version(api, "doomed")
    assert version["version"] == "1" and version["tags"] == [] and version["aliases"] == []
    assert_error(api.get("/registered-models/alias", {"name": "doomed", "alias": "champion"}),
                 NOT_FOUND, "champion")


class TestDeleteRegisteredModelErrors:
    def test_rejects_when_model_is_unknown(self, seeded):
        assert_error(delete(seeded, "/registered-models/delete", {"name": "ghost"}), NOT_FOUND,
                     "ghost")

    def test_rejects_when_name_is_missing(self, seeded):
        assert_error(delete(seeded, "/registered-models/delete", {}), INVALID, "'name'")


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


# --- get-latest-versions --------------------------------------------------------------------

@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """Read-only: model "staged" with versions 1 (None), 2 (Staging), 3 (Production),
    4 (Staging, alias "next"), 5 (None) and 6 (Archived)."""
    api = make_api(tmp_path_factory, "registry_staged")
    create_model(api, "staged")
    for _ in range(6):
        create_version(api, "staged")
    transition(api, "staged", "2", "Staging")
    transition(api, "staged", "3", "Production")
    transition(api, "staged", "4", "Staging")
    transition(api, "staged", "6", "Archived")
    set_alias(api, "staged", "next", "4")
    return api


def test_latest_versions_returns_newest_per_stage_when_no_stage_is_named(staged):
    response = staged.ok_post("/registered-models/get-latest-versions", {"name": "staged"})
    assert stages_of(response["model_versions"]) == {
        "None": "5", "Staging": "4", "Production": "3", "Archived": "6"}
    assert len(response["model_versions"]) == 4


def test_latest_versions_returns_newest_in_stage_when_one_stage_is_named(staged):
    response = staged.ok_post("/registered-models/get-latest-versions",
                              {"name": "staged", "stages": ["Staging"]})
    [version] = response["model_versions"]
    assert (version["name"], version["version"]) == ("staged", "4")
    assert version["current_stage"] == "Staging"
    assert version["aliases"] == ["next"]


def test_latest_versions_answers_get_when_stages_are_repeated_in_the_query(staged):
    response = staged.ok_get("/registered-models/get-latest-versions",
                             {"name": "staged", "stages": ["staging", "PRODUCTION"]})
    assert stages_of(response["model_versions"]) == {"Staging": "4", "Production": "3"}
    assert len(response["model_versions"]) == 2


def test_latest_versions_returns_nothing_when_no_version_is_in_the_stage(seeded):
    response = seeded.ok_post("/registered-models/get-latest-versions",
                              {"name": "champ", "stages": ["Production"]})
    assert response.get("model_versions", []) == []


def test_registered_model_lists_newest_per_stage_when_fetched(staged):
    model = get_model(staged, "staged")
    assert stages_of(model["latest_versions"]) == {
        "None": "5", "Staging": "4", "Production": "3", "Archived": "6"}


def test_latest_versions_is_served_under_ajax_prefix_when_called_by_the_ui(staged):
    response = staged.client.get(AJAX + "/registered-models/get-latest-versions",
                                 query_string={"name": "staged", "stages": "Production"})
    assert response.status_code == 200
    assert stages_of(response.get_json()["model_versions"]) == {"Production": "3"}


class TestGetLatestVersionsErrors:
    def test_rejects_when_a_stage_is_unknown(self, seeded):
        result = seeded.post("/registered-models/get-latest-versions",
                             {"name": "champ", "stages": ["Staging", "Prod"]})
        assert_error(result, INVALID, "Prod")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.get("/registered-models/get-latest-versions", {"name": "ghost"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_name_is_missing(self, seeded):
        assert_error(seeded.post("/registered-models/get-latest-versions", {}), INVALID, "'name'")


# --- registered model tags ------------------------------------------------------------------

def test_set_tag_adds_then_overwrites_when_key_is_set_twice(api):
    create_model(api, "rm-tagged")
    assert api.ok_post("/registered-models/set-tag",
                       {"name": "rm-tagged", "key": "owner", "value": "ada"}) == {}
    assert tags_of(get_model(api, "rm-tagged")) == {"owner": "ada"}
    api.ok_post("/registered-models/set-tag", {"name": "rm-tagged", "key": "owner", "value": "bob"})
    api.ok_post("/registered-models/set-tag", {"name": "rm-tagged", "key": "tier", "value": "gold"})
    assert tags_of(get_model(api, "rm-tagged")) == {"owner": "bob", "tier": "gold"}


def test_delete_tag_removes_only_that_key_when_model_has_several(api):
    create_model(api, "rm-untagged", tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    assert ok(delete(api, "/registered-models/delete-tag", {"name": "rm-untagged",
                                                            "key": "a"})) == {}
    assert tags_of(get_model(api, "rm-untagged")) == {"b": "2"}


class TestSetRegisteredModelTagErrors:
    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.post("/registered-models/set-tag", {"name": "ghost", "key": "k",
                                                            "value": "v"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_key_is_missing(self, seeded):
        assert_error(seeded.post("/registered-models/set-tag", {"name": "champ", "value": "v"}),
                     INVALID, "'key'")

    @pytest.mark.parametrize("key", ["", "k" * 251, "bad\tkey"])
    def test_rejects_when_key_is_invalid(self, seeded, key):
        result = seeded.post("/registered-models/set-tag", {"name": "champ", "key": key,
                                                            "value": "v"})
        assert_error(result, INVALID)

    def test_rejects_when_value_is_too_long(self, seeded):
        result = seeded.post("/registered-models/set-tag",
                             {"name": "champ", "key": "big", "value": "x" * 100_001})
        assert_error(result, INVALID, "100000")
        assert tags_of(get_model(seeded, "champ")) == {"k": "v"}


class TestDeleteRegisteredModelTagErrors:
    # MLflow's SQL store returns {} for a tag that is not there; mlexp reports it (as asked).
    def test_rejects_when_tag_is_unknown(self, seeded):
        result = delete(seeded, "/registered-models/delete-tag", {"name": "champ", "key": "nope"})
        assert_error(result, NOT_FOUND, "nope")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = delete(seeded, "/registered-models/delete-tag", {"name": "ghost", "key": "k"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_key_is_missing(self, seeded):
        assert_error(delete(seeded, "/registered-models/delete-tag", {"name": "champ"}), INVALID,
                     "'key'")


# --- aliases --------------------------------------------------------------------------------

def test_alias_resolves_to_version_with_its_aliases_when_set(api):
    create_model(api, "aliased")
    create_version(api, "aliased", source="s3://bucket/1")
    set_alias(api, "aliased", "champion", "1")
    set_alias(api, "aliased", "stable", "1")
    version = api.ok_get("/registered-models/alias",
                         {"name": "aliased", "alias": "champion"})["model_version"]
    assert (version["name"], version["version"]) == ("aliased", "1")
    assert version["source"] == "s3://bucket/1"
    assert sorted(version["aliases"]) == ["champion", "stable"]
    assert aliases_of(get_model(api, "aliased")) == {"champion": "1", "stable": "1"}
    assert sorted(get_version(api, "aliased", "1")["aliases"]) == ["champion", "stable"]


def test_alias_moves_to_new_version_when_set_again(api):
    create_model(api, "moving")
    create_version(api, "moving")
    create_version(api, "moving")
    set_alias(api, "moving", "champion", "1")
    set_alias(api, "moving", "champion", "2")
    assert get_model(api, "moving")["aliases"] == [{"alias": "champion", "version": "2"}]
    assert get_version(api, "moving", "1")["aliases"] == []
    assert get_version(api, "moving", "2")["aliases"] == ["champion"]
    by_alias = api.ok_get("/registered-models/alias", {"name": "moving", "alias": "champion"})
    assert by_alias["model_version"]["version"] == "2"


def test_alias_disappears_when_deleted(api):
    create_model(api, "unaliased")
    create_version(api, "unaliased")
    set_alias(api, "unaliased", "champion", "1")
    set_alias(api, "unaliased", "backup", "1")
    assert ok(delete(api, "/registered-models/alias", {"name": "unaliased",
                                                       "alias": "champion"})) == {}
    assert aliases_of(get_model(api, "unaliased")) == {"backup": "1"}
    assert get_version(api, "unaliased", "1")["aliases"] == ["backup"]
    assert_error(api.get("/registered-models/alias", {"name": "unaliased", "alias": "champion"}),
                 NOT_FOUND, "champion")


def test_alias_goes_with_its_version_when_version_is_deleted(api):
    create_model(api, "pruned")
    create_version(api, "pruned")
    create_version(api, "pruned")
    set_alias(api, "pruned", "old", "1")
    set_alias(api, "pruned", "new", "2")
    ok(delete(api, "/model-versions/delete", {"name": "pruned", "version": "2"}))
    assert aliases_of(get_model(api, "pruned")) == {"old": "1"}
    # A later version 3 does not inherit the alias that pointed at the deleted version 2.
    assert create_version(api, "pruned")["aliases"] == []
    assert_error(api.get("/registered-models/alias", {"name": "pruned", "alias": "new"}), NOT_FOUND)


def test_alias_is_served_under_ajax_prefix_when_called_by_the_ui(api):
    client = api.client
    create_model(api, "ui-alias")
    create_version(api, "ui-alias")
    response = client.post(AJAX + "/registered-models/alias",
                           json={"name": "ui-alias", "alias": "champ", "version": "1"})
    assert response.status_code == 200 and response.get_json() == {}
    fetched = client.get(AJAX + "/registered-models/alias",
                         query_string={"name": "ui-alias", "alias": "champ"})
    assert fetched.get_json()["model_version"]["aliases"] == ["champ"]


def test_alias_latest_resolves_to_newest_version_when_model_has_versions(api):
    create_model(api, "newest")
    for _ in range(3):
        create_version(api, "newest")
    transition(api, "newest", "1", "Production")
    version = api.ok_get("/registered-models/alias", {"name": "newest", "alias": "latest"})
    assert version["model_version"]["version"] == "3"


class TestSetAliasErrors:
    @pytest.mark.parametrize("alias", ["latest", "LATEST", "v3", "V12"])
    def test_rejects_when_alias_is_reserved(self, seeded, alias):
        result = seeded.post("/registered-models/alias", {"name": "champ", "alias": alias,
                                                          "version": "1"})
        assert_error(result, INVALID, alias)
        assert aliases_of(get_model(seeded, "champ")) == {"best": "2"}

    @pytest.mark.parametrize("alias", ["my alias", "a/b", "x" * 256])
    def test_rejects_when_alias_has_bad_characters_or_length(self, seeded, alias):
        result = seeded.post("/registered-models/alias", {"name": "champ", "alias": alias,
                                                          "version": "1"})
        assert_error(result, INVALID)

    def test_rejects_when_version_is_unknown(self, seeded):
        result = seeded.post("/registered-models/alias", {"name": "champ", "alias": "x",
                                                          "version": "9"})
        assert_error(result, NOT_FOUND, "version=9")

    def test_rejects_when_version_is_not_a_number(self, seeded):
        result = seeded.post("/registered-models/alias", {"name": "champ", "alias": "x",
                                                          "version": "two"})
        assert_error(result, INVALID, "two")

    def test_rejects_when_version_is_missing(self, seeded):
        result = seeded.post("/registered-models/alias", {"name": "champ", "alias": "x"})
        assert_error(result, INVALID)

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.post("/registered-models/alias", {"name": "ghost", "alias": "x",
                                                          "version": "1"})
        assert_error(result, NOT_FOUND, "ghost")


class TestGetAliasErrors:
    # MLflow's SQL store answers an unknown alias with 400 INVALID_PARAMETER_VALUE; mlexp says 404.
    def test_rejects_when_alias_is_unknown(self, seeded):
        result = seeded.get("/registered-models/alias", {"name": "champ", "alias": "nope"})
        assert_error(result, NOT_FOUND, "nope")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.get("/registered-models/alias", {"name": "ghost", "alias": "best"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_alias_is_missing(self, seeded):
        assert_error(seeded.get("/registered-models/alias", {"name": "champ"}), INVALID, "'alias'")


class TestDeleteAliasErrors:
    # MLflow's SQL store returns {} for an alias that is not there; mlexp says 404.
    def test_rejects_when_alias_is_unknown(self, seeded):
        result = delete(seeded, "/registered-models/alias", {"name": "champ", "alias": "nope"})
        assert_error(result, NOT_FOUND, "nope")
        assert aliases_of(get_model(seeded, "champ")) == {"best": "2"}

    def test_rejects_when_model_is_unknown(self, seeded):
        result = delete(seeded, "/registered-models/alias", {"name": "ghost", "alias": "best"})
        assert_error(result, NOT_FOUND, "ghost")


# --- model-versions/create ------------------------------------------------------------------

def test_create_version_counts_from_one_when_versions_are_added(api):
    create_model(api, "counted")
    assert [create_version(api, "counted")["version"] for _ in range(3)] == ["1", "2", "3"]


def test_create_version_returns_full_version_when_all_fields_are_given(api, run_id):
    create_model(api, "complete")
    next_ms()
    before = now_ms()
    version = create_version(api, "complete", source="s3://bucket/complete", run_id=run_id,
                             description="first cut", run_link="http://ui/run",
                             tags=[{"key": "env", "value": "dev"}])
    after = now_ms()
    assert version["name"] == "complete" and version["version"] == "1"
    assert version["source"] == "s3://bucket/complete"
    assert version["run_id"] == run_id
    assert version["description"] == "first cut"
    assert version["run_link"] == "http://ui/run"
    assert tags_of(version) == {"env": "dev"}
    assert version["current_stage"] == "None"
    assert version["status"] == "READY"
    assert version["aliases"] == []
    assert before <= version["creation_timestamp"] <= after
    assert version["last_updated_timestamp"] == version["creation_timestamp"]
    assert None not in version.values()
    assert before <= get_model(api, "complete")["last_updated_timestamp"] <= after
    assert get_version(api, "complete", "1") == version


def test_create_version_omits_run_id_when_source_names_no_run(api):
    create_model(api, "unlinked")
    version = create_version(api, "unlinked", source="s3://bucket/x")
    assert "run_id" not in version and "model_id" not in version and "description" not in version


def test_create_version_links_run_when_source_is_a_runs_uri(api, run_id):
    create_model(api, "from-run")
    version = create_version(api, "from-run", source=f"runs:/{run_id}/model")
    assert version["run_id"] == run_id
    assert version["source"] == f"runs:/{run_id}/model"
    found = api.ok_get("/model-versions/search", {"filter": f"run_id = '{run_id}'"})
    assert version_keys(found) == [("from-run", "1")]


def test_create_version_never_reuses_a_number_when_versions_are_deleted(api):
    create_model(api, "gaps")
    for _ in range(3):
        create_version(api, "gaps")
    ok(delete(api, "/model-versions/delete", {"name": "gaps", "version": "3"}))
    ok(delete(api, "/model-versions/delete", {"name": "gaps", "version": "2"}))
    assert create_version(api, "gaps")["version"] == "4"
    assert_error(api.get("/model-versions/get", {"name": "gaps", "version": "3"}), NOT_FOUND)


def test_create_version_keeps_last_value_when_a_tag_key_repeats(api):
    create_model(api, "dupe-tags")
    version = create_version(api, "dupe-tags", tags=[{"key": "k", "value": "1"},
                                                     {"key": "k", "value": "2"}])
    assert tags_of(version) == {"k": "2"}


@pytest.fixture
def logged_model(api, experiment_id, run_id) -> dict:
    """A logged model in the test's experiment, produced by its run."""
    return api.ok_post("/logged-models", {"experiment_id": experiment_id,
                                          "source_run_id": run_id})["model"]["info"]


def test_create_version_records_logged_model_when_model_id_is_given(api, logged_model):
    create_model(api, "promoted")
    version = create_version(api, "promoted", source="s3://bucket/promoted",
                             model_id=logged_model["model_id"])
    assert version["model_id"] == logged_model["model_id"]
    assert get_version(api, "promoted", "1")["model_id"] == logged_model["model_id"]


def test_create_version_links_logged_model_when_source_is_a_models_uri(api, logged_model):
    create_model(api, "by-uri")
    version = create_version(api, "by-uri", source=f"models:/{logged_model['model_id']}")
    assert version["model_id"] == logged_model["model_id"]


def test_create_version_takes_run_from_logged_model_when_only_model_id_is_given(api, logged_model,
                                                                                run_id):
    create_model(api, "lineage")
    by_id = create_version(api, "lineage", source="s3://bucket/l",
                           model_id=logged_model["model_id"])
    by_uri = create_version(api, "lineage", source=f"models:/{logged_model['model_id']}")
    assert by_id.get("run_id") == run_id
    assert by_uri.get("run_id") == run_id


class TestCreateModelVersionErrors:
    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.post("/model-versions/create", {"name": "ghost", "source": "s3://b/m"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_run_id_is_unknown(self, seeded):
        missing = "0" * 32
        result = seeded.post("/model-versions/create",
                             {"name": "bare", "source": "s3://b/m", "run_id": missing})
        assert_error(result, NOT_FOUND, missing)
        assert get_model(seeded, "bare")["latest_versions"] == []

    def test_rejects_when_runs_uri_names_an_unknown_run(self, seeded):
        missing = "f" * 32
        result = seeded.post("/model-versions/create",
                             {"name": "bare", "source": f"runs:/{missing}/model"})
        assert_error(result, NOT_FOUND, missing)

    def test_rejects_when_model_id_is_unknown(self, seeded):
        missing = "m-" + "0" * 32
        result = seeded.post("/model-versions/create",
                             {"name": "bare", "source": "s3://b/m", "model_id": missing})
        assert_error(result, NOT_FOUND, missing)

    def test_rejects_when_source_is_missing(self, seeded):
        assert_error(seeded.post("/model-versions/create", {"name": "bare"}), INVALID, "'source'")

    def test_rejects_when_source_is_empty(self, seeded):
        assert_error(seeded.post("/model-versions/create", {"name": "bare", "source": ""}),
                     INVALID, "source")

    def test_rejects_when_name_is_missing(self, seeded):
        assert_error(seeded.post("/model-versions/create", {"source": "s3://b/m"}), INVALID,
                     "'name'")

    def test_rejects_when_a_tag_key_is_invalid(self, seeded):
        body = {"name": "bare", "source": "s3://b/m", "tags": [{"key": "", "value": "v"}]}
        assert_error(seeded.post("/model-versions/create", body), INVALID)
        assert get_model(seeded, "bare")["latest_versions"] == []

    def test_rejects_when_runs_uri_and_run_id_disagree(self, api):
        first = api.create_run()["info"]["run_id"]
        second = api.create_run()["info"]["run_id"]
        create_model(api, "mixed")
        result = api.post("/model-versions/create",
                          {"name": "mixed", "source": f"runs:/{first}/model", "run_id": second})
        assert_error(result, INVALID, "source")


# --- model-versions/get ---------------------------------------------------------------------

class TestGetModelVersionErrors:
    @pytest.mark.parametrize("version", ["abc", "1.5", "one"])
    def test_rejects_when_version_is_not_a_number(self, seeded, version):
        result = seeded.get("/model-versions/get", {"name": "champ", "version": version})
        assert_error(result, INVALID, version)

    def test_rejects_when_version_is_unknown(self, seeded):
        result = seeded.get("/model-versions/get", {"name": "champ", "version": "99"})
        assert_error(result, NOT_FOUND, "champ", "99")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.get("/model-versions/get", {"name": "ghost", "version": "1"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_version_is_missing(self, seeded):
        assert_error(seeded.get("/model-versions/get", {"name": "champ"}), INVALID, "'version'")


# --- model-versions/update ------------------------------------------------------------------

def test_update_version_sets_description_when_patched(api):
    create_model(api, "documented")
    created = create_version(api, "documented", description="draft")
    next_ms()
    updated = ok(patch(api, "/model-versions/update",
                       {"name": "documented", "version": "1",
                        "description": "final"}))["model_version"]
    assert updated["description"] == "final" and updated["version"] == "1"
    assert updated["last_updated_timestamp"] > created["last_updated_timestamp"]
    assert get_version(api, "documented", "1")["description"] == "final"


class TestUpdateModelVersionErrors:
    def test_rejects_when_version_is_unknown(self, seeded):
        result = patch(seeded, "/model-versions/update",
                       {"name": "champ", "version": "99", "description": "d"})
        assert_error(result, NOT_FOUND, "99")

    def test_rejects_when_version_is_not_a_number(self, seeded):
        result = patch(seeded, "/model-versions/update",
                       {"name": "champ", "version": "x", "description": "d"})
        assert_error(result, INVALID, "x")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = patch(seeded, "/model-versions/update", {"name": "ghost", "version": "1"})
        assert_error(result, NOT_FOUND, "ghost")


# --- model-versions/transition-stage --------------------------------------------------------

@pytest.mark.parametrize("stage, canonical", [
    ("staging", "Staging"), ("PRODUCTION", "Production"), ("Archived", "Archived"),
    ("none", "None"),
])
def test_transition_sets_canonical_stage_when_stage_is_any_case(api, stage, canonical):
    name = f"staged-{stage}"
    create_model(api, name)
    create_version(api, name)
    version = transition(api, name, "1", stage)
    assert version["current_stage"] == canonical
    assert get_version(api, name, "1")["current_stage"] == canonical


def test_transition_archives_others_in_the_stage_when_archive_existing_versions_is_set(api):
    create_model(api, "rollout")
    for _ in range(3):
        create_version(api, "rollout")
    transition(api, "rollout", "1", "Production")
    transition(api, "rollout", "2", "Staging")
    moved = transition(api, "rollout", "3", "Production", archive=True)
    assert moved["current_stage"] == "Production"
    stages = {v: get_version(api, "rollout", v)["current_stage"] for v in ("1", "2", "3")}
    assert stages == {"1": "Archived", "2": "Staging", "3": "Production"}


def test_transition_keeps_others_in_the_stage_when_archive_existing_versions_is_not_set(api):
    create_model(api, "parallel")
    for _ in range(2):
        create_version(api, "parallel")
    transition(api, "parallel", "1", "Production")
    transition(api, "parallel", "2", "Production")
    assert get_version(api, "parallel", "1")["current_stage"] == "Production"
    latest = api.ok_get("/registered-models/get-latest-versions",
                        {"name": "parallel", "stages": "Production"})["model_versions"]
    assert [v["version"] for v in latest] == ["2"]


def test_transition_bumps_version_time_when_stage_changes(api):
    create_model(api, "timed")
    created = create_version(api, "timed")
    next_ms()
    moved = transition(api, "timed", "1", "Staging")
    assert moved["last_updated_timestamp"] > created["last_updated_timestamp"]


def test_transition_bumps_model_time_when_stage_changes(api):
    create_model(api, "timed-model")
    create_version(api, "timed-model")
    next_ms()
    moved = transition(api, "timed-model", "1", "Staging")
    model = get_model(api, "timed-model")
    assert model["last_updated_timestamp"] == moved["last_updated_timestamp"]


class TestTransitionStageErrors:
    @pytest.mark.parametrize("stage", ["Prod", "Deleted_Internal", "stage"])
    def test_rejects_when_stage_is_unknown(self, seeded, stage):
        result = seeded.post("/model-versions/transition-stage",
                             {"name": "champ", "version": "1", "stage": stage})
        assert_error(result, INVALID, stage)
        assert get_version(seeded, "champ", "1")["current_stage"] == "None"

    def test_rejects_when_stage_is_missing(self, seeded):
        result = seeded.post("/model-versions/transition-stage", {"name": "champ", "version": "1"})
        assert_error(result, INVALID, "'stage'")

    def test_rejects_when_version_is_unknown(self, seeded):
        result = seeded.post("/model-versions/transition-stage",
                             {"name": "champ", "version": "99", "stage": "Staging"})
        assert_error(result, NOT_FOUND, "99")

    @pytest.mark.parametrize("stage", ["Archived", "None"])
    def test_rejects_when_archiving_others_for_an_inactive_stage(self, api, stage):
        name = f"inactive-{stage}"
        create_model(api, name)
        create_version(api, name)
        transition(api, name, "1", "Staging")
        result = api.post("/model-versions/transition-stage",
                          {"name": name, "version": "1", "stage": stage,
                           "archive_existing_versions": True})
        assert_error(result, INVALID, stage)
        assert get_version(api, name, "1")["current_stage"] == "Staging"


# --- model-versions/delete ------------------------------------------------------------------

def test_delete_version_removes_it_from_model_and_searches_when_deleted(api):
    create_model(api, "shrinking")
    create_version(api, "shrinking")
    create_version(api, "shrinking")
    assert ok(delete(api, "/model-versions/delete", {"name": "shrinking", "version": "2"})) == {}
    assert_error(api.get("/model-versions/get", {"name": "shrinking", "version": "2"}), NOT_FOUND)
    assert [v["version"] for v in get_model(api, "shrinking")["latest_versions"]] == ["1"]
    found = api.ok_get("/model-versions/search", {"filter": "name = 'shrinking'"})
    assert version_keys(found) == [("shrinking", "1")]


def test_delete_version_bumps_model_time_when_deleted(api):
    create_model(api, "touched")
    create_version(api, "touched")
    before = get_model(api, "touched")["last_updated_timestamp"]
    next_ms()
    ok(delete(api, "/model-versions/delete", {"name": "touched", "version": "1"}))
    assert get_model(api, "touched")["last_updated_timestamp"] > before


class TestDeleteModelVersionErrors:
    def test_rejects_when_version_is_unknown(self, seeded):
        result = delete(seeded, "/model-versions/delete", {"name": "champ", "version": "99"})
        assert_error(result, NOT_FOUND, "99")

    def test_rejects_when_version_is_not_a_number(self, seeded):
        result = delete(seeded, "/model-versions/delete", {"name": "champ", "version": "latest"})
        assert_error(result, INVALID, "latest")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = delete(seeded, "/model-versions/delete", {"name": "ghost", "version": "1"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_second_delete_when_version_is_already_gone(self, api):
        create_model(api, "twice")
        create_version(api, "twice")
        ok(delete(api, "/model-versions/delete", {"name": "twice", "version": "1"}))
        assert_error(delete(api, "/model-versions/delete", {"name": "twice", "version": "1"}),
                     NOT_FOUND)


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


# --- model-versions/get-download-uri --------------------------------------------------------

def download_uri(api, name: str, version: str) -> str:
    response = api.ok_get("/model-versions/get-download-uri", {"name": name, "version": version})
    return response["artifact_uri"]


def test_download_uri_points_into_run_artifacts_when_source_is_a_runs_uri(api, run):
    create_model(api, "dl-from-run")
    create_version(api, "dl-from-run", source=f"runs:/{run['info']['run_id']}/model")
    assert run["info"]["artifact_uri"].startswith("mlflow-artifacts:/")
    assert download_uri(api, "dl-from-run", "1") == run["info"]["artifact_uri"] + "/model"


def test_download_uri_is_logged_model_location_when_model_id_is_set(api, logged_model):
    create_model(api, "from-logged")
    create_version(api, "from-logged", source="s3://elsewhere/model",
                   model_id=logged_model["model_id"])
    assert download_uri(api, "from-logged", "1") == logged_model["artifact_uri"]


def test_download_uri_is_the_source_when_source_names_no_run_or_model(api):
    create_model(api, "external")
    create_version(api, "external", source="s3://bucket/external/model")
    assert download_uri(api, "external", "1") == "s3://bucket/external/model"


class TestDownloadUriErrors:
    def test_rejects_when_version_is_unknown(self, seeded):
        result = seeded.get("/model-versions/get-download-uri", {"name": "champ", "version": "99"})
        assert_error(result, NOT_FOUND, "99")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.get("/model-versions/get-download-uri", {"name": "ghost", "version": "1"})
        assert_error(result, NOT_FOUND, "ghost")

    def test_rejects_when_version_is_not_a_number(self, seeded):
        result = seeded.get("/model-versions/get-download-uri", {"name": "champ", "version": "v1"})
        assert_error(result, INVALID, "v1")


# --- model version tags ---------------------------------------------------------------------

def test_set_version_tag_adds_then_overwrites_when_key_is_set_twice(api):
    create_model(api, "mv-tagged")
    create_version(api, "mv-tagged")
    body = {"name": "mv-tagged", "version": "1", "key": "validated", "value": "no"}
    assert api.ok_post("/model-versions/set-tag", body) == {}
    api.ok_post("/model-versions/set-tag", {**body, "value": "yes"})
    api.ok_post("/model-versions/set-tag", {**body, "key": "owner", "value": "ada"})
    assert tags_of(get_version(api, "mv-tagged", "1")) == {"validated": "yes", "owner": "ada"}
    found = api.ok_get("/model-versions/search",
                       {"filter": "name = 'mv-tagged' AND tags.validated = 'yes'"})
    assert version_keys(found) == [("mv-tagged", "1")]


def test_delete_version_tag_removes_only_that_key_when_version_has_several(api):
    create_model(api, "mv-untagged")
    create_version(api, "mv-untagged",
                   tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    create_version(api, "mv-untagged", tags=[{"key": "a", "value": "1"}])
    assert ok(delete(api, "/model-versions/delete-tag", {"name": "mv-untagged", "version": "1",
                                                         "key": "a"})) == {}
    assert tags_of(get_version(api, "mv-untagged", "1")) == {"b": "2"}
    assert tags_of(get_version(api, "mv-untagged", "2")) == {"a": "1"}


class TestSetModelVersionTagErrors:
    def test_rejects_when_version_is_unknown(self, seeded):
        result = seeded.post("/model-versions/set-tag",
                             {"name": "champ", "version": "99", "key": "k", "value": "v"})
        assert_error(result, NOT_FOUND, "99")

    def test_rejects_when_model_is_unknown(self, seeded):
        result = seeded.post("/model-versions/set-tag",
                             {"name": "ghost", "version": "1", "key": "k", "value": "v"})
        assert_error(result, NOT_FOUND, "ghost")

    @pytest.mark.parametrize("key", ["", "k" * 251])
    def test_rejects_when_key_is_invalid(self, seeded, key):
        result = seeded.post("/model-versions/set-tag",
                             {"name": "champ", "version": "1", "key": key, "value": "v"})
        assert_error(result, INVALID)
        assert tags_of(get_version(seeded, "champ", "1")) == {"k": "v"}

    def test_rejects_when_version_is_not_a_number(self, seeded):
        result = seeded.post("/model-versions/set-tag",
                             {"name": "champ", "version": "first", "key": "k", "value": "v"})
        assert_error(result, INVALID, "first")


class TestDeleteModelVersionTagErrors:
    # MLflow's SQL store returns {} for a tag that is not there; mlexp reports it, as for models.
    def test_rejects_when_tag_is_unknown(self, seeded):
        result = delete(seeded, "/model-versions/delete-tag", {"name": "champ", "version": "1",
                                                               "key": "nope"})
        assert_error(result, NOT_FOUND, "nope")

    def test_rejects_when_version_is_unknown(self, seeded):
        result = delete(seeded, "/model-versions/delete-tag", {"name": "champ", "version": "99",
                                                               "key": "k"})
        assert_error(result, NOT_FOUND, "99")
        assert tags_of(get_version(seeded, "champ", "1")) == {"k": "v"}
