"""Raw HTTP against the live server: traversal tricks, cut-short uploads, big files, downloads."""
import hashlib
import http.client
import os
import socket
from urllib.parse import urlsplit

import pytest
import requests

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def package(client, unique_name):
    """The package folder path of a fresh active run: ml_experiment_<id>/<iid>."""
    experiment_id = client.create_experiment(unique_name)
    run = client.create_run(experiment_id)
    return f"ml_experiment_{experiment_id}/1", run


def _raw_request(server_url: str, method: str, raw_path: str, body: bytes = b""):
    """Send the path exactly as written: no client-side normalisation or quoting."""
    host = urlsplit(server_url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
    conn.putrequest(method, raw_path, skip_accept_encoding=True)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


@pytest.mark.parametrize("trick", [
    "../../../outside.txt",
    "%2e%2e/%2e%2e/%2e%2e/outside.txt",
    "%2E%2E%2F%2E%2E%2F%2E%2E%2Foutside.txt",
    "..%2f..%2f..%2foutside.txt",
    "..%5c..%5coutside.txt",
    "x%00.txt",
    "C:%5coutside.txt",
    "C:/outside.txt",
])
def test_upload_is_refused_when_path_escapes_the_package(server_url, server_instance, package, trick):
    base, _ = package
    status, body = _raw_request(server_url, "PUT", f"{ARTIFACTS}/{base}/{trick}", b"evil")
    assert status in (400, 404), body
    written = [os.path.join(d, f) for d, _, fs in os.walk(server_instance.parent) for f in fs
               if f == "outside.txt" or f.startswith("x\x00")]
    assert written == []


def test_encoded_slashes_stay_inside_package_when_path_has_empty_segments(server_url, server_instance,
                                                                          package):
    base, _ = package
    status, _ = _raw_request(server_url, "PUT", f"{ARTIFACTS}/{base}/%2fetc%2finside.txt", b"ok")
    assert status == 200
    assert (server_instance / "packages" / base / "etc" / "inside.txt").read_bytes() == b"ok"


def test_traversal_on_download_is_refused_when_path_leaves_root(server_url):
    status, body = _raw_request(server_url, "GET", f"{ARTIFACTS}/%2e%2e/%2e%2e/etc/passwd")
    assert status in (400, 404)
    assert b"root:" not in body


def test_cut_short_upload_leaves_nothing_when_connection_drops(server_url, server_instance, package):
    base, _ = package
    host = urlsplit(server_url)
    with socket.create_connection((host.hostname, host.port)) as sock:
        sock.sendall(
            f"PUT {ARTIFACTS}/{base}/partial.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Length: 10000000\r\n\r\n".encode() + b"x" * 100_000
        )
    folder = server_instance / "packages" / base
    requests.get(server_url + "/health", timeout=5)
    leftovers = os.listdir(folder) if folder.exists() else []
    assert leftovers == []


def test_download_supports_range_when_resuming(server_url, package):
    base, _ = package
    data = os.urandom(10_000)
    assert requests.put(f"{server_url}{ARTIFACTS}/{base}/blob.bin", data=data).status_code == 200
    full = requests.get(f"{server_url}{ARTIFACTS}/{base}/blob.bin")
    assert full.content == data
    assert full.headers["Content-Length"] == "10000"
    assert full.headers["X-Content-Type-Options"] == "nosniff"
    assert full.headers["Content-Disposition"].startswith("attachment")
    part = requests.get(f"{server_url}{ARTIFACTS}/{base}/blob.bin", headers={"Range": "bytes=4000-"})
    assert part.status_code == 206
    assert part.content == data[4000:]


def test_upload_is_refused_when_run_is_deleted(server_url, client, package):
    base, run = package
    client.delete_run(run.info.run_id)
    response = requests.put(f"{server_url}{ARTIFACTS}/{base}/late.txt", data=b"late")
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_upload_is_refused_when_run_is_unknown(server_url, package):
    base, _ = package
    response = requests.put(f"{server_url}{ARTIFACTS}/{base.rsplit('/', 1)[0]}/999/x.txt", data=b"x")
    assert response.status_code == 404
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_one_gigabyte_round_trips_with_flat_memory_when_logged(mlflow, client, unique_name, tmp_path,
                                                               live_server_process):
    """A 1 GiB artifact up and down through the real client; server peak memory stays small."""
    mlflow.set_experiment(unique_name)
    source = tmp_path / "big.bin"
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with open(source, "wb") as out:
        for i in range(1024):
            chunk = block[i % 7:] + block[: i % 7]
            digest.update(chunk)
            out.write(chunk)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(source))
    source.unlink()
    local = client.download_artifacts(run.info.run_id, "big.bin", str(tmp_path))
    check = hashlib.sha256()
    with open(local, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            check.update(chunk)
    assert check.hexdigest() == digest.hexdigest()
    assert live_server_process.peak_rss_bytes() < 200 * 1024 * 1024
