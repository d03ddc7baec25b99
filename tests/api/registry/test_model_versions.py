"""Model versions: create (linked to runs and logged models), get, update, delete, the download
URI and their tags."""
import pytest

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, next_ms, now_ms, tags_of
from tests.api.registry.helpers import (create_model, create_version, delete, get_model,
                                        get_version, ok, patch, version_keys)


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
