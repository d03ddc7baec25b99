"""Stages, kept for older clients: transition-stage and the newest version per stage."""
import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, make_api, next_ms
from tests.api.registry.helpers import (AJAX, create_model, create_version, get_model, get_version,
                                        set_alias, stages_of, transition)


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
