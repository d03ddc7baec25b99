"""A live mlexp server on a free loopback port, driven by the real mlflow client."""
import os
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server_instance(tmp_path_factory):
    """The live server's instance folder: its database and packages."""
    return tmp_path_factory.mktemp("instance")


class _ServerProcess:
    def __init__(self, pid: int):
        self.pid = pid

    def peak_rss_bytes(self) -> int:
        """The server's peak resident memory so far (VmHWM)."""
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        raise RuntimeError("VmHWM not found")


_server_pids: dict[str, int] = {}


@pytest.fixture(scope="session")
def live_server_process(server_url):
    """The live server's process, for reading its memory use."""
    return _ServerProcess(_server_pids[server_url])


@pytest.fixture(scope="session")
def server_url(server_instance):
    """Start `python app.py` in a subprocess and wait until /health answers."""
    instance = server_instance
    port = _free_port()
    log_path = instance / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port),
             "--instance", str(instance)],
            cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    _server_pids[url] = process.pid
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/health", timeout=1).text == "OK":
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("server did not start:\n" + log_path.read_text())
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def mlflow(server_url, monkeypatch):
    """The mlflow module pointed at the live server, with no active run left behind."""
    import mlflow as mlflow_module

    monkeypatch.setenv("MLFLOW_TRACKING_URI", server_url)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow_module.set_tracking_uri(server_url)
    yield mlflow_module
    while mlflow_module.active_run():
        mlflow_module.end_run()


@pytest.fixture
def client(mlflow):
    from mlflow import MlflowClient

    return MlflowClient()


@pytest.fixture
def unique_name():
    return f"exp-{uuid.uuid4().hex[:8]}"
