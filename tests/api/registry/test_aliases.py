"""Aliases: set, move, resolve and delete, and an alias leaving with its version."""
import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error
from tests.api.registry.helpers import (AJAX, aliases_of, create_model, create_version, delete,
                                        get_model, get_version, ok, set_alias, transition)


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
