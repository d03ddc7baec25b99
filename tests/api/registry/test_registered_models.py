"""Registered models: create, get, rename, update, delete and their tags.

Reference for behaviour: MLflow's model registry SQL store and server handlers. Where mlexp
differs from MLflow the test asserts MLflow's behaviour and is marked xfail(strict=True).
"""
import pytest

from tests.api.helpers import EXISTS, INVALID, NOT_FOUND, assert_error, next_ms, now_ms, tags_of
from tests.api.registry.helpers import (AJAX, aliases_of, create_model, create_version, delete,
                                        get_model, get_version, ok, patch, set_alias, version_keys)


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
