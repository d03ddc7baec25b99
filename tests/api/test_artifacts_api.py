"""The mlflow-artifacts API through the test client: limits, listings, errors."""
import pytest

from tests.databases import make_app


ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def small_app(tmp_path):
    """A server whose uploads may be at most 1,000 bytes."""
    return make_app(tmp_path, MAX_UPLOAD_BYTES=1000)


def _run_package(client) -> str:
    experiment_id = client.post("/api/2.0/mlflow/experiments/create", json={"name": "e"}).get_json()["experiment_id"]
    client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id})
    return f"ml_experiment_{experiment_id}/1"


def test_upload_over_the_limit_is_refused_and_leaves_nothing_when_too_large(small_app, tmp_path):
    client = small_app.test_client()
    base = _run_package(client)
    assert client.put(f"{ARTIFACTS}/{base}/ok.bin", data=b"x" * 1000).status_code == 200
    response = client.put(f"{ARTIFACTS}/{base}/big.bin", data=b"x" * 1001)
    assert response.status_code == 400
    assert response.get_json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "maximum upload size of 1000 bytes" in response.get_json()["message"]
    listed = client.get(ARTIFACTS, query_string={"path": base}).get_json()["files"]
    assert listed == [{"path": "ok.bin", "is_dir": False, "file_size": 1000}]


def test_listing_is_sorted_with_sizes_when_folder_has_files_and_dirs(client):
    base = _run_package(client)
    for name in ("b.txt", "a/x.txt", "c.txt"):
        client.put(f"{ARTIFACTS}/{base}/{name}", data=b"12345")
    listed = client.get(ARTIFACTS, query_string={"path": base}).get_json()["files"]
    assert listed == [{"path": "a", "is_dir": True}, {"path": "b.txt", "is_dir": False, "file_size": 5},
                      {"path": "c.txt", "is_dir": False, "file_size": 5}]


def test_run_listing_has_root_uri_and_relative_paths_when_asked(api, client):
    base = _run_package(client)
    client.put(f"{ARTIFACTS}/{base}/dir/f.txt", data=b"1")
    run_id = api.ok_post("/runs/search", {"experiment_ids": ["1"]})["runs"][0]["info"]["run_id"]
    listed = api.ok_get("/artifacts/list", {"run_id": run_id, "path": "dir"})
    assert listed == {"root_uri": f"mlflow-artifacts:/{base}",
                      "files": [{"path": "dir/f.txt", "is_dir": False, "file_size": 1}]}


def test_delete_removes_file_when_run_is_active(client):
    base = _run_package(client)
    client.put(f"{ARTIFACTS}/{base}/gone.txt", data=b"1")
    assert client.delete(f"{ARTIFACTS}/{base}/gone.txt").status_code == 200
    assert client.get(f"{ARTIFACTS}/{base}/gone.txt").status_code == 404
    assert client.delete(f"{ARTIFACTS}/{base}/gone.txt").get_json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_download_of_missing_file_is_not_found_when_absent(client):
    response = client.get(f"{ARTIFACTS}/ml_experiment_0/1/missing.txt")
    assert response.status_code == 404
    assert response.get_json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_upload_outside_a_run_package_is_refused_when_path_is_not_a_version(client):
    response = client.put(f"{ARTIFACTS}/loose.txt", data=b"1")
    assert response.status_code == 400
    assert "ml_experiment_<id>/<run iid>/<file>" in response.get_json()["message"]


def test_multipart_upload_says_not_implemented_when_requested(client):
    response = client.post("/api/2.0/mlflow-artifacts/mpu/create/ml_experiment_0/1/f.bin", json={})
    assert response.status_code == 501
    assert response.get_json()["error_code"] == "NOT_IMPLEMENTED"


# --- found by the fuzzer (tests/fuzz): each of these used to answer 500 ------------------------

def test_upload_is_refused_when_a_name_is_longer_than_the_file_system_allows(client):
    base = _run_package(client)
    response = client.put(f"{ARTIFACTS}/{base}/{'n' * 256}", data=b"1")
    assert response.status_code == 400
    assert "longer than 255 bytes" in response.get_json()["message"]
    assert client.put(f"{ARTIFACTS}/{base}/{'n' * 255}", data=b"1").status_code == 200


def test_upload_is_refused_when_the_path_is_deeper_than_the_limit(client):
    """3,000 folders deep used to exhaust the recursion of os.makedirs."""
    base = _run_package(client)
    response = client.put(f"{ARTIFACTS}/{base}/{'d/' * 3000}f", data=b"1")
    assert response.status_code == 400
    assert "longer than 1024 bytes" in response.get_json()["message"]


def test_upload_is_refused_when_a_folder_on_its_path_is_a_file(client):
    base = _run_package(client)
    client.put(f"{ARTIFACTS}/{base}/data.txt", data=b"1")
    for path in ("data.txt/sub", "data.txt/a/b"):
        response = client.put(f"{ARTIFACTS}/{base}/{path}", data=b"1")
        assert response.status_code == 400, path
        assert "a folder on its path is a file" in response.get_json()["message"]
    assert client.get(f"{ARTIFACTS}/{base}/data.txt").data == b"1"


@pytest.mark.parametrize("iid, status", [("9" * 25, 404), ("²", 400)])
def test_upload_and_delete_answer_cleanly_when_the_run_number_is_out_of_range(client, iid, status):
    experiment_id = _run_package(client).split("/")[0]
    for method in ("PUT", "DELETE"):
        response = client.open(f"{ARTIFACTS}/{experiment_id}/{iid}/x.txt", method=method, data=b"1")
        assert response.status_code == status, (method, response.get_json())


def test_range_past_the_end_is_416_in_mlflow_json_when_downloading(client):
    """It used to say INTERNAL_ERROR, as if the server had failed."""
    base = _run_package(client)
    client.put(f"{ARTIFACTS}/{base}/f.txt", data=b"12345")
    response = client.get(f"{ARTIFACTS}/{base}/f.txt", headers={"Range": "bytes=99-"})
    assert response.status_code == 416
    assert response.get_json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert client.get(f"{ARTIFACTS}/{base}/f.txt", headers={"Range": "bytes=1-2"}).data == b"23"


def test_delete_leaves_an_upload_in_progress_alone_when_its_temporary_name_is_given(app, client):
    base = _run_package(client)
    client.put(f"{ARTIFACTS}/{base}/kept.txt", data=b"1")
    folder = f"{app.config['PACKAGES_DIR']}/{base}"
    with open(f"{folder}/.mlexp-upload-0123456789abcdef", "wb") as upload:
        upload.write(b"half of a big file")
    response = client.delete(f"{ARTIFACTS}/{base}/.mlexp-upload-0123456789abcdef")
    assert response.status_code == 404
    with open(f"{folder}/.mlexp-upload-0123456789abcdef", "rb") as upload:
        assert upload.read() == b"half of a big file"
