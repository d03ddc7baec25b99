"""Symlinks planted inside the packages folder never lead a listing or a download outside it."""
import os

import pytest

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def planted(app, client, api, tmp_path_factory):
    """A package folder holding a real file and links to a secret outside, and a dangling one."""
    assert api.create_run("0")["info"]["artifact_uri"].endswith("/ml_experiment_0/1")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("top secret")
    assert client.put(f"{ARTIFACTS}/ml_experiment_0/1/ok.txt", data=b"fine").status_code == 200
    folder = os.path.join(app.config["PACKAGES_DIR"], "ml_experiment_0", "1")
    os.symlink(outside / "secret.txt", os.path.join(folder, "file-link.txt"))
    os.symlink(outside, os.path.join(folder, "dir-link"))
    os.symlink(os.path.join(folder, "nowhere"), os.path.join(folder, "dangling"))
    os.symlink(os.path.join(folder, "ok.txt"), os.path.join(folder, "inside-link.txt"))
    return folder


def test_listing_shows_neither_outside_nor_dangling_links(client, planted):
    listed = client.get(ARTIFACTS, query_string={"path": "ml_experiment_0/1"}).get_json()
    assert [f["path"] for f in listed["files"]] == ["inside-link.txt", "ok.txt"]


@pytest.mark.parametrize("path", ["file-link.txt", "dir-link/secret.txt", "dangling"])
def test_downloads_through_links_are_refused(client, planted, path):
    response = client.get(f"{ARTIFACTS}/ml_experiment_0/1/{path}")
    assert response.status_code in (400, 404)
    assert b"top secret" not in response.data


def test_listing_inside_a_link_to_outside_is_refused(client, planted):
    response = client.get(ARTIFACTS, query_string={"path": "ml_experiment_0/1/dir-link"})
    assert response.status_code == 400
    assert response.get_json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_uploads_through_a_link_to_outside_are_refused(client, planted):
    response = client.put(f"{ARTIFACTS}/ml_experiment_0/1/dir-link/new.txt", data=b"x")
    assert response.status_code == 400


def test_package_pages_count_only_files_inside(client, planted):
    page = client.get("/packages/ml_experiment_0")
    assert page.status_code == 200
    assert b"secret" not in page.data
