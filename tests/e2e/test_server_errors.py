"""Errors answered before a body is read: the gate's (a body declared over its limit), and
waitress's own (a malformed Content-Length, a chunked body running past its limit), in MLflow's
error JSON on API paths and waitress's plain text on pages."""
import json
import socket

import pytest
import requests

from tests.e2e.live_server import LiveServer

LIMIT = 1024  # MLEXP_MAX_UPLOAD_BYTES and MLEXP_MAX_JSON_BYTES of the server below
WAITRESS_LIMIT = LIMIT + 1024 * 1024  # far over either


@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLEXP_MAX_UPLOAD_BYTES", str(LIMIT))
        patch.setenv("MLEXP_MAX_JSON_BYTES", str(LIMIT))
        server = LiveServer(tmp_path_factory.mktemp("small-limit"))
    yield server
    server.stop()


def exchange(server, head: str) -> tuple[int, dict, bytes]:
    """Send a request on a fresh connection and read until the server closes it; (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    lines = raw_head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


@pytest.mark.parametrize("path, words", [
    ("/api/2.0/mlflow-artifacts/artifacts/ml_experiment_0/1/big.bin", f"maximum upload size of {LIMIT} bytes"),
    ("/ajax-api/2.0/mlflow/runs/log-batch", "takes JSON bodies of up to"),
])
def test_body_over_its_limit_gets_mlflow_error_json_before_it_is_sent_to_the_api(small_limit_server, path, words):
    method = "PUT" if "artifacts" in path else "POST"
    status, headers, body = exchange(small_limit_server, f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                        "Content-Type: application/json\r\n"
                                                        f"Content-Length: {WAITRESS_LIMIT + 1}\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    error = json.loads(body)
    assert error["error_code"] == "INVALID_PARAMETER_VALUE" and words in error["message"], error


def test_malformed_content_length_gets_mlflow_error_json_when_sent_to_the_api(small_limit_server):
    status, headers, body = exchange(small_limit_server, "POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\n"
                                                        "Host: 127.0.0.1\r\nContent-Length: twelve\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/json"
    error = json.loads(body)
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert error["message"].startswith("Bad Request: ")


def test_pages_keep_waitress_plain_text_when_a_chunked_body_runs_past_the_limit(small_limit_server):
    chunk = f"{WAITRESS_LIMIT:x}\r\n" + "x" * WAITRESS_LIMIT + "\r\n"
    status, headers, body = exchange(small_limit_server, "POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                                        "Transfer-Encoding: chunked\r\n\r\n" + chunk)
    assert status == 413
    assert headers["content-type"].startswith("text/plain")
    assert body.startswith(b"Request Entity Too Large")


def test_a_body_within_the_server_limit_still_reaches_the_app_which_words_its_own_limit(small_limit_server):
    run = requests.post(small_limit_server.url + "/api/2.0/mlflow/runs/create", json={"experiment_id": "0"},
                        timeout=10).json()["run"]["info"]
    path = run["artifact_uri"].replace("mlflow-artifacts:/", "/api/2.0/mlflow-artifacts/artifacts/") + "/a.bin"
    head = f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {LIMIT + 1}\r\nConnection: close\r\n\r\n"
    status, _, body = exchange(small_limit_server, head + "x" * (LIMIT + 1))
    error = json.loads(body)
    assert (status, error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert f"maximum upload size of {LIMIT} bytes" in error["message"]
