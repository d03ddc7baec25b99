"""Uploads through the real server: waitress spools big bodies into named files that are
hard-linked into place (mlexp/http/serve.py); nothing of the spool may stay behind or show."""
import hashlib
import os

import requests

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def _new_run_path(server_url: str) -> str:
    run = requests.post(f"{server_url}/api/2.0/mlflow/runs/create",
                        json={"experiment_id": "0"}, timeout=30).json()["run"]["info"]
    return run["artifact_uri"].removeprefix("mlflow-artifacts:/")


def test_big_upload_is_linked_from_the_spool_and_leaves_nothing(server_url, server_instance):
    run_path = _new_run_path(server_url)
    body = os.urandom(3 * 1024 * 1024 + 7)  # past waitress's 512 KiB in-memory limit
    response = requests.put(f"{server_url}{ARTIFACTS}/{run_path}/weights.bin", data=body, timeout=60)
    assert response.status_code == 200, response.text

    stored = server_instance / "packages" / run_path / "weights.bin"
    assert hashlib.sha256(stored.read_bytes()).digest() == hashlib.sha256(body).digest()
    assert stored.stat().st_nlink == 1  # the spool's own name is gone
    assert oct(stored.stat().st_mode & 0o777) == "0o644"
    spool = server_instance / "packages" / ".mlexp-upload-spool"
    assert spool.is_dir() and list(spool.iterdir()) == []
    downloaded = requests.get(f"{server_url}{ARTIFACTS}/{run_path}/weights.bin", timeout=60).content
    assert downloaded == body


def test_spool_folder_is_hidden_and_unreachable(server_url):
    root = requests.get(f"{server_url}{ARTIFACTS}", params={"path": ""}, timeout=30).json()
    assert all(not f["path"].startswith(".mlexp-upload-") for f in root.get("files", []))
    listed = requests.get(f"{server_url}{ARTIFACTS}", params={"path": ".mlexp-upload-spool"}, timeout=30)
    assert listed.status_code in (400, 404) or listed.json().get("files", []) == []
    put = requests.put(f"{server_url}{ARTIFACTS}/.mlexp-upload-spool/x", data=b"x", timeout=30)
    assert put.status_code == 400


def test_small_and_big_uploads_to_the_same_name_replace_each_other(server_url, server_instance):
    run_path = _new_run_path(server_url)
    url = f"{server_url}{ARTIFACTS}/{run_path}/model.pkl"
    for body in (b"small", os.urandom(2 * 1024 * 1024), b"small again"):
        assert requests.put(url, data=body, timeout=60).status_code == 200
        assert requests.get(url, timeout=60).content == body


def test_big_upload_is_refused_and_leaves_nothing_when_a_folder_on_its_path_is_a_link(server_url,
                                                                                      server_instance):
    run_path, other_path = _new_run_path(server_url), _new_run_path(server_url)
    other = server_instance / "packages" / other_path
    other.mkdir(parents=True)
    (other / "data.txt").write_bytes(b"theirs")
    run = server_instance / "packages" / run_path
    run.mkdir(parents=True)
    (run / "link").symlink_to(other)
    body = os.urandom(3 * 1024 * 1024)  # spooled to a file, then linked into place
    response = requests.put(f"{server_url}{ARTIFACTS}/{run_path}/link/weights.bin", data=body, timeout=60)
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "symbolic link" in response.json()["message"]
    assert sorted(p.name for p in other.iterdir()) == ["data.txt"]
    assert list((server_instance / "packages" / ".mlexp-upload-spool").iterdir()) == []
