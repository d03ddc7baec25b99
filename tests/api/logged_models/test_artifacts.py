"""A logged model's artifacts: uploads under its own folder, listing and download."""
from tests.api.helpers import INVALID, NOT_FOUND, assert_error
from tests.api.logged_models.helpers import ARTIFACTS, model_id_of


def test_list_artifacts_shows_uploaded_files_relative_to_model_root_when_files_exist(
        api, experiment_id, model):
    model_id = model_id_of(model)
    assert api.upload(experiment_id, model_id, "MLmodel", b"flavors: {}\n") == (200, {})
    assert api.upload(experiment_id, model_id, "data/model.pkl", b"12345") == (200, {})
    root = api.ok_get(f"/logged-models/{model_id}/artifacts/directories")
    assert root == {"root_uri": model["info"]["artifact_uri"],
                    "files": [{"path": "MLmodel", "is_dir": False, "file_size": 12},
                              {"path": "data", "is_dir": True}]}
    sub = api.ok_get(f"/logged-models/{model_id}/artifacts/directories",
                     {"artifact_directory_path": "data"})
    assert sub["files"] == [{"path": "data/model.pkl", "is_dir": False, "file_size": 5}]


def test_uploaded_file_downloads_unchanged_when_fetched_by_its_artifact_path(api, client, experiment_id, model):
    model_id = model_id_of(model)
    api.upload(experiment_id, model_id, "conda.yaml", b"name: env\n")
    response = client.get(f"{ARTIFACTS}/ml_experiment_{experiment_id}/models/{model_id}/artifacts/conda.yaml")
    assert response.status_code == 200
    assert response.data == b"name: env\n"


def test_list_artifacts_is_empty_when_nothing_was_uploaded(api, model):
    listed = api.ok_get(f"/logged-models/{model_id_of(model)}/artifacts/directories")
    assert listed.get("files", []) == []
    assert listed["root_uri"] == model["info"]["artifact_uri"]


class TestLoggedModelArtifactsErrors:
    def test_upload_not_found_when_model_id_is_unknown(self, api, client, experiment_id):
        unknown = f"m-{'6' * 32}"
        assert_error(api.upload(experiment_id, unknown, "MLmodel", b"x"), NOT_FOUND, unknown)
        response = client.get(ARTIFACTS, query_string={"path": f"ml_experiment_{experiment_id}/models"})
        assert response.get_json().get("files", []) == []

    def test_upload_not_found_when_model_is_deleted(self, api, experiment_id, model):
        model_id = model_id_of(model)
        api.delete(f"/logged-models/{model_id}")
        assert_error(api.upload(experiment_id, model_id, "MLmodel", b"x"), NOT_FOUND, model_id)

    def test_upload_rejected_when_model_belongs_to_another_experiment(self, api, model):
        model_id = model_id_of(model)
        assert_error(api.upload("0", model_id, "MLmodel", b"x"), INVALID, model_id)
        assert api.ok_get(f"/logged-models/{model_id}/artifacts/directories").get("files", []) == []

    def test_list_not_found_when_model_is_unknown(self, api):
        unknown = f"m-{'7' * 32}"
        assert_error(api.get(f"/logged-models/{unknown}/artifacts/directories"), NOT_FOUND, unknown)

    def test_list_rejected_when_path_climbs_out_of_the_model(self, api, model):
        result = api.get(f"/logged-models/{model_id_of(model)}/artifacts/directories",
                         {"artifact_directory_path": "../.."})
        assert_error(result, INVALID, "..")
