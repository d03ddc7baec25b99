"""Package registry pages and the plain download route."""
import pytest

from tests.conftest import Api


@pytest.fixture
def package(api: Api, client):
    """Experiment '<b>exp</b>' with runs 1 and 2; run 1 logged two files, run 2 none."""
    experiment_id = api.create_experiment("<b>exp</b>")
    run = api.create_run(experiment_id, run_name="first <run>")
    api.create_run(experiment_id)
    base = f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1"
    assert client.put(f"{base}/model/weights.bin", data=b"\x00" * 1500).status_code == 200
    assert client.put(f"{base}/notes <x>.html", data=b"<script>alert(1)</script>").status_code == 200
    return f"ml_experiment_{experiment_id}", run


def test_index_lists_package_with_versions_and_size_when_run_logged_files(client, package):
    name, _ = package
    html = client.get("/packages").get_data(as_text=True)
    assert f'href="/packages/{name}"' in html
    assert "&lt;b&gt;exp&lt;/b&gt;" in html and "<b>exp</b>" not in html
    assert "1.5 KB" in html


def test_package_page_lists_only_versions_with_files_when_some_runs_have_none(client, package):
    name, run = package
    html = client.get(f"/packages/{name}").get_data(as_text=True)
    assert f'href="/packages/{name}/1"' in html
    assert f'href="/packages/{name}/2"' not in html
    assert "first &lt;run&gt;" in html
    assert run["info"]["run_id"][:8] in html


def test_version_page_lists_files_with_download_links_when_opened(client, package):
    name, _ = package
    html = client.get(f"/packages/{name}/1").get_data(as_text=True)
    assert f'href="/packages/{name}/1/files/model/weights.bin"' in html
    assert "notes &lt;x&gt;.html" in html
    assert "curl -O" in html


def test_download_is_an_attachment_with_nosniff_when_file_is_html(client, package):
    name, _ = package
    response = client.get(f"/packages/{name}/1/files/notes <x>.html")
    assert response.status_code == 200
    assert response.data == b"<script>alert(1)</script>"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/octet-stream"


def test_download_resumes_with_range_when_asked(client, package):
    name, _ = package
    response = client.get(f"/packages/{name}/1/files/model/weights.bin", headers={"Range": "bytes=1000-"})
    assert response.status_code == 206
    assert len(response.data) == 500


@pytest.mark.parametrize("url", ["/packages/nope", "/packages/ml_experiment_999",
                                 "/packages/ml_experiment_1/7", "/packages/ml_experiment_1/1/files/missing.txt"])
def test_missing_things_show_not_found_page_when_requested(client, package, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_index_shows_empty_state_when_no_artifacts_exist(client):
    html = client.get("/packages").get_data(as_text=True)
    assert "No packages yet" in html
