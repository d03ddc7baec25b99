"""A live mlexp server on a free loopback port, driven by the real mlflow client."""
import uuid

import pytest

from tests.e2e.live_server import PROJECT_ROOT, LiveServer  # noqa: F401  (PROJECT_ROOT for others)


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
    try:
        server = LiveServer(server_instance)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    _server_pids[server.url] = server.process.pid
    yield server.url
    server.stop()


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
