"""One large artifact streamed up and down through the mlflow-artifacts API (bench/compare.py's
artifacts group), each on a new connection, every block checked on the way down."""
import http.client
import os
import time
import urllib.parse

from bench.workloads import RequestFailed, split_url

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts/"
BLOCK = 4 * 1024 * 1024


def _block(base: bytes, index: int) -> bytes:
    return index.to_bytes(8, "big") + base[8:]


def make_artifact_file(path: str, size_mb: int) -> int:
    """A file of size_mb MiB: 4 MiB random blocks, each stamped with its index (checkable cheaply)."""
    base = os.urandom(BLOCK)
    blocks = max(1, size_mb * 1024 * 1024 // BLOCK)
    with open(path, "wb") as out:
        for index in range(blocks):
            out.write(_block(base, index))
    return blocks * BLOCK


def artifact_path(run_info: dict) -> str:
    """The mlflow-artifacts path of a run's artifact root, from its artifact_uri."""
    uri = run_info["artifact_uri"]
    if not uri.startswith("mlflow-artifacts:"):
        raise RequestFailed(f"artifact_uri {uri!r} is not proxied (mlflow-artifacts:), cannot upload over HTTP")
    path = urllib.parse.urlsplit(uri).path if uri.startswith("mlflow-artifacts://") else uri[len("mlflow-artifacts:"):]
    return path.strip("/")


def put_artifact(url: str, path: str, source: str) -> float:
    """Stream the file up with 1 MiB writes; returns seconds until the server answered."""
    host, port, base = split_url(url)
    size = os.path.getsize(source)
    conn = http.client.HTTPConnection(host, port, timeout=600, blocksize=1024 * 1024)
    try:
        started = time.perf_counter()
        with open(source, "rb") as body:
            conn.request("PUT", base + ARTIFACTS + urllib.parse.quote(path), body=body,
                         headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"})
        response = conn.getresponse()
        payload = response.read()
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    if response.status != 200:
        raise RequestFailed(f"PUT artifact: HTTP {response.status} {payload[:300]!r}")
    return seconds


def get_artifact(url: str, path: str, source: str) -> float:
    """Stream the file down 4 MiB at a time, checking every block; returns seconds."""
    host, port, base = split_url(url)
    with open(source, "rb") as f:
        first = f.read(BLOCK)
    tail, size = first[8:], os.path.getsize(source)
    conn = http.client.HTTPConnection(host, port, timeout=600)
    try:
        started = time.perf_counter()
        conn.request("GET", base + ARTIFACTS + urllib.parse.quote(path))
        response = conn.getresponse()
        if response.status != 200:
            raise RequestFailed(f"GET artifact: HTTP {response.status} {response.read(300)!r}")
        received, index = 0, 0
        while piece := response.read(BLOCK):
            if len(piece) != min(BLOCK, size - received) or not (
                    piece.startswith(index.to_bytes(8, "big")) and piece.endswith(tail)):
                raise RequestFailed(f"GET artifact: block {index} differs from what was uploaded")
            received += len(piece)
            index += 1
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    if received != size:
        raise RequestFailed(f"GET artifact: {received} bytes, expected {size}")
    return seconds


def delete_artifact(url: str, path: str) -> None:
    host, port, base = split_url(url)
    conn = http.client.HTTPConnection(host, port, timeout=60)
    try:
        conn.request("DELETE", base + ARTIFACTS + urllib.parse.quote(path))
        conn.getresponse().read()
    except OSError:
        pass
    finally:
        conn.close()
