"""Hostile clients against a live `python app.py`: connection floods, slow and stalled senders,
and bodies the server must refuse without receiving them (mlexp/http/serve.py, http/gate.py)."""
import json
import os
import resource
import socket
import threading
import time

import pytest
import requests

from mlexp.services import tokens as token_service
from tests.databases import make_app
from tests.e2e.live_server import LiveServer

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
BIG = 200 * 1024 * 1024


@pytest.fixture(scope="module", autouse=True)
def many_descriptors():
    """This test process holds thousands of sockets too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 16384)), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def start(tmp_path_factory, name, **env):
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(f"MLEXP_{key}", str(value))
        return LiveServer(tmp_path_factory.mktemp(name))


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    server = start(tmp_path_factory, "open", MAX_JSON_BYTES=1024 * 1024)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory):
    """Short timeouts and a small connection limit."""
    server = start(tmp_path_factory, "strict", IDLE_TIMEOUT=1, REQUEST_TIMEOUT=1, CONNECTION_LIMIT=64)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token_server(tmp_path_factory):
    """Access tokens on: a writer and a reader."""
    instance = tmp_path_factory.mktemp("tokens")
    app = make_app(instance)
    with app.app_context():
        made = {scope: token_service.create_token(scope, scope) for scope in ("write", "read")}
    server = LiveServer(instance)
    server.tokens = made
    yield server
    server.stop()


def connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def head(method: str, path: str, server, length: int, **headers) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Content-Length: {length}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(sock) -> tuple[int, dict]:
    """Status and JSON body of one answer, read until the server closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    raw_head, _, body = data.partition(b"\r\n\r\n")
    return int(raw_head.split()[1]), json.loads(body)


def closed_by_server(sock, within: float) -> bool:
    """Whether the server closes the connection within `within` seconds (nothing else arrives)."""
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def server_sockets(server) -> tuple[int, int]:
    """(open sockets, highest descriptor number) of the server process."""
    fds = [(int(fd), os.readlink(f"/proc/{server.process.pid}/fd/{fd}"))
           for fd in os.listdir(f"/proc/{server.process.pid}/fd")]
    sockets = [fd for fd, target in fds if target.startswith("socket:")]
    return len(sockets), max(fd for fd, _ in fds)


def folder_bytes(path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                pass
    return total


def health_ms(server) -> float:
    started = time.perf_counter()
    response = requests.get(server.url + "/health", timeout=30)
    assert response.text == "OK"
    return (time.perf_counter() - started) * 1000


def test_server_keeps_answering_when_2000_connections_are_held_half_idle_half_mid_body(open_server):
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2200:
        pytest.skip("this machine's descriptor limit cannot hold 2,000 client sockets")
    idle = [connect(open_server) for _ in range(1000)]
    mid_body = []
    for index in range(1000):
        sock = connect(open_server)
        sock.sendall(head("PUT", f"{ARTIFACTS}/ml_experiment_0/1/part-{index}.bin", open_server, 10_000_000)
                     + b"x" * 4096)
        mid_body.append(sock)
    deadline = time.monotonic() + 30
    while server_sockets(open_server)[0] < 2000 and time.monotonic() < deadline:
        time.sleep(0.1)
    held, highest_fd = server_sockets(open_server)
    latencies = sorted(health_ms(open_server) for _ in range(20))
    print(f"\nconnections held: {held}, highest descriptor {highest_fd}, /health during the flood: "
          f"p50 {latencies[10]:.1f} ms, max {latencies[-1]:.1f} ms")
    assert held >= 2000 and highest_fd > 1023
    for sock in idle + mid_body:
        sock.close()
    assert open_server.process.poll() is None
    assert health_ms(open_server) >= 0


def test_idle_and_stalled_connections_are_closed_within_seconds_when_they_send_nothing(strict_server):
    idle = connect(strict_server)
    stalled_body = connect(strict_server)
    stalled_body.sendall(head("PUT", f"{ARTIFACTS}/ml_experiment_0/1/x.bin", strict_server, 1000) + b"x" * 10)
    stalled_head = connect(strict_server)
    stalled_head.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for sock in (idle, stalled_body, stalled_head):
        assert closed_by_server(sock, within=10)
        sock.close()


def test_headers_trickled_forever_are_cut_off_when_they_take_longer_than_the_request_timeout(strict_server):
    sock = connect(strict_server)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    started = time.monotonic()
    try:
        while time.monotonic() - started < 15:
            sock.sendall(b"X-Slow: 1\r\n")  # always active, never finished
            time.sleep(0.2)
        cut_off = False
    except (BrokenPipeError, ConnectionResetError):
        cut_off = True
    sock.close()
    assert cut_off


def test_new_client_is_answered_when_idle_connections_fill_the_connection_limit(strict_server):
    idle = [connect(strict_server) for _ in range(200)]  # the limit is 64
    try:
        assert health_ms(strict_server) >= 0
        assert strict_server.process.poll() is None
    finally:
        for sock in idle:
            sock.close()


def test_unauthenticated_upload_is_refused_before_its_body_and_the_instance_does_not_grow(token_server):
    path = f"{ARTIFACTS}/ml_experiment_0/1/big.bin"
    before = folder_bytes(token_server.instance)
    with connect(token_server) as sock:
        sock.sendall(head("PUT", path, token_server, BIG))
        status, error = answer(sock)  # answered with not one byte of the body sent
    assert (status, error["error_code"]) == (401, "UNAUTHENTICATED")
    with connect(token_server) as sock:
        sock.sendall(head("POST", "/api/2.0/mlflow/runs/log-metric", token_server, BIG,
                          Content_Type="application/json"))
        sending, grown = threading.Event(), []

        def send_body():
            chunk = b"0" * (1024 * 1024)
            try:
                for _ in range(BIG // len(chunk)):
                    sock.sendall(chunk)
            except OSError:
                pass
            sending.set()

        sender = threading.Thread(target=send_body)
        sender.start()
        while not sending.wait(0.05):
            grown.append(folder_bytes(token_server.instance) - before)
        sender.join()
    print(f"\ninstance growth while an unauthenticated {BIG:,}-byte body was sent: max {max(grown, default=0):,} bytes")
    assert max(grown, default=0) < 1024 * 1024


def test_read_token_upload_gets_the_clients_permission_error_not_a_reset_when_refused(
        token_server, tmp_path, monkeypatch):
    import mlflow

    headers = {"Authorization": f"Bearer {token_server.tokens['write']}"}
    run = requests.post(f"{token_server.url}/api/2.0/mlflow/runs/create", json={"experiment_id": "0"},
                        headers=headers, timeout=10).json()["run"]
    big = tmp_path / "weights.bin"
    with open(big, "wb") as out:
        out.truncate(BIG)  # sparse: 200 MB to send, nothing on this disk
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token_server.tokens["read"])
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    client = mlflow.MlflowClient(tracking_uri=token_server.url)
    with pytest.raises(requests.HTTPError) as refused:  # what the client raises for artifact calls
        client.log_artifact(run["info"]["run_id"], str(big))
    assert refused.value.response.status_code == 403
    assert refused.value.response.json()["error_code"] == "PERMISSION_DENIED"


def test_oversized_json_body_is_refused_before_it_is_sent_when_declared(open_server):
    with connect(open_server) as sock:
        sock.sendall(head("POST", "/api/2.0/mlflow/runs/log-metric", open_server, BIG,
                          Content_Type="application/json"))
        status, error = answer(sock)
    assert (status, error["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "1,048,576" in error["message"]


def test_chunked_json_body_is_cut_off_at_the_json_limit_when_it_goes_past_it(open_server):
    with connect(open_server) as sock:
        sock.sendall(b"POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        try:
            for _ in range(64):  # 4 MiB against a 1 MiB limit
                sock.sendall(chunk)
        except OSError:
            pass
        status, error = answer(sock)
    assert (status, error["error_code"]) == (413, "INVALID_PARAMETER_VALUE")
    assert "1,048,576" in error["message"]


def test_rebound_host_is_refused_before_the_body_when_a_request_carries_one(open_server):
    with connect(open_server) as sock:
        sock.sendall(head("POST", "/api/2.0/mlflow/experiments/create", open_server, BIG,
                          Content_Type="application/json").replace(
            f"Host: 127.0.0.1:{open_server.port}".encode(), b"Host: rebound.evil.example"))
        status, error = answer(sock)
    assert (status, error["error_code"]) == (403, "PERMISSION_DENIED")
    assert "rebound.evil.example" in error["message"]
