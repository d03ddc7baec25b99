"""Access tokens with the real mlflow client against a live server of this module's own.

Tokens are made the way an administrator makes them, `flask --app app tokens create`, and handed
to the client through MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD.
"""
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests import databases
from tests.databases import make_app
from tests.e2e.live_server import PROJECT_ROOT, LiveServer

CREDENTIAL_VARIABLES = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
WARNING = "with no access tokens"
SERVING = "mlexp serving on"


def _start_token_command(instance, name: str, scope: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "tokens", "create", name, "--scope", scope],
        cwd=PROJECT_ROOT, env={**os.environ, "MLEXP_INSTANCE": str(instance), **databases.instance_env(instance)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _token_from(command: subprocess.Popen) -> str:
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    token = out.strip()
    assert re.fullmatch(r"mlexp_[A-Za-z0-9_-]{40,}", token), (out, err)
    return token


@pytest.fixture(scope="module")
def access_server(tmp_path_factory):
    """A live server with a write token `e2e-writer` and a read token `e2e-reader`.

    The database is made first, so the two token commands (run together) do not race to create
    its tables. The server listens on every address (0.0.0.0), as a team server would: with
    tokens made before it starts, it must not print the open-access warning.
    """
    instance = tmp_path_factory.mktemp("access-instance")
    make_app(instance)  # tables and the Default experiment
    commands = {"writer": _start_token_command(instance, "e2e-writer", "write"),
                "reader": _start_token_command(instance, "e2e-reader", "read")}
    try:
        tokens = {role: _token_from(command) for role, command in commands.items()}
    finally:
        for command in commands.values():
            if command.poll() is None:
                command.kill()
                command.wait()
    try:
        server = LiveServer(instance, host="0.0.0.0")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield {"url": server.url, "instance": instance, "log_path": Path(server.log_path), **tokens}
    finally:
        server.stop()


@pytest.fixture
def tracking(access_server, monkeypatch):
    """The mlflow module pointed at the access server, with no credentials set yet."""
    import mlflow

    for name in CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", access_server["url"])
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(access_server["url"])
    yield mlflow
    while mlflow.active_run():
        mlflow.end_run()


@pytest.fixture(scope="module")
def logged_run(access_server):
    """A run the write token logged over plain HTTP: params, a metric, an artifact."""
    api = access_server["url"] + "/api/2.0/mlflow"
    headers = {"Authorization": f"Bearer {access_server['writer']}"}
    experiment_id = requests.post(api + "/experiments/create", headers=headers,
                                  json={"name": f"shared-{uuid.uuid4().hex[:8]}"}).json()["experiment_id"]
    run = requests.post(api + "/runs/create", headers=headers,
                        json={"experiment_id": experiment_id}).json()["run"]["info"]
    requests.post(api + "/runs/log-metric", headers=headers, json={
        "run_id": run["run_id"], "key": "loss", "value": 0.25, "timestamp": 1, "step": 0}).raise_for_status()
    package = run["artifact_uri"].removeprefix("mlflow-artifacts:/")
    requests.put(f"{access_server['url']}/api/2.0/mlflow-artifacts/artifacts/{package}/notes/readme.txt",
                 headers=headers, data=b"hello from the writer").raise_for_status()
    return {"experiment_id": experiment_id, "run_id": run["run_id"]}


def _error_code(excinfo) -> str:
    return getattr(excinfo.value, "error_code", "")


def test_write_token_logs_a_run_as_the_token_name_when_set_as_tracking_token(
        tracking, access_server, monkeypatch, tmp_path):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", access_server["writer"])
    tracking.set_experiment(f"token-{uuid.uuid4().hex[:8]}")
    with tracking.start_run() as run:
        tracking.log_params({"lr": "0.01", "arch": "resnet"})
        for step, loss in enumerate([0.9, 0.5, 0.2]):
            tracking.log_metric("loss", loss, step=step)
        tracking.log_text("trained with a token", "notes/summary.txt")
    client = MlflowClient()
    fetched = client.get_run(run.info.run_id)
    assert fetched.info.user_id == "e2e-writer"
    assert fetched.data.tags["mlflow.user"] == "e2e-writer"
    assert fetched.data.params == {"lr": "0.01", "arch": "resnet"}
    assert [m.value for m in client.get_metric_history(run.info.run_id, "loss")] == [0.9, 0.5, 0.2]
    assert fetched.info.status == "FINISHED"
    path = client.download_artifacts(run.info.run_id, "notes/summary.txt", str(tmp_path))
    assert Path(path).read_text() == "trained with a token"


def test_basic_credentials_log_a_run_as_the_token_name_when_username_and_password_set(
        tracking, access_server, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "someone-on-a-laptop")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", access_server["writer"])
    client = MlflowClient()
    experiment_id = client.create_experiment(f"basic-{uuid.uuid4().hex[:8]}")
    run = client.create_run(experiment_id)
    client.log_param(run.info.run_id, "via", "basic")
    client.log_metric(run.info.run_id, "acc", 0.75)
    client.log_text(run.info.run_id, "basic upload", "basic.txt")
    fetched = client.get_run(run.info.run_id)
    assert fetched.info.user_id == "e2e-writer"
    assert fetched.data.params == {"via": "basic"}
    assert fetched.data.metrics == {"acc": 0.75}
    assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["basic.txt"]


def test_read_token_searches_and_downloads_when_set_as_tracking_token(
        tracking, access_server, logged_run, monkeypatch, tmp_path):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", access_server["reader"])
    client = MlflowClient()
    runs = client.search_runs([logged_run["experiment_id"]])
    assert [r.info.run_id for r in runs] == [logged_run["run_id"]]
    assert runs[0].data.metrics == {"loss": 0.25}
    assert runs[0].info.user_id == "e2e-writer"
    assert logged_run["experiment_id"] in [e.experiment_id for e in client.search_experiments()]
    path = client.download_artifacts(logged_run["run_id"], "notes/readme.txt", str(tmp_path))
    assert Path(path).read_bytes() == b"hello from the writer"
    assert [f.path for f in client.list_artifacts(logged_run["run_id"], "notes")] == ["notes/readme.txt"]


def test_read_token_cannot_log_when_set_as_tracking_token(tracking, access_server, logged_run, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", access_server["reader"])
    client = MlflowClient()
    run_id = logged_run["run_id"]
    with pytest.raises(MlflowException) as excinfo:
        client.log_metric(run_id, "loss", 99.0)
    assert _error_code(excinfo) == "PERMISSION_DENIED"
    assert "e2e-reader" in str(excinfo.value)
    with pytest.raises(MlflowException) as excinfo:
        client.set_tag(run_id, "sneaky", "yes")
    assert _error_code(excinfo) == "PERMISSION_DENIED"
    with pytest.raises(MlflowException) as excinfo:
        client.create_experiment(f"read-{uuid.uuid4().hex[:8]}")
    assert _error_code(excinfo) == "PERMISSION_DENIED"
    with pytest.raises(Exception) as excinfo:  # artifact uploads fail as requests' HTTPError
        client.log_text(run_id, "overwritten", "notes/readme.txt")
    assert "403" in str(excinfo.value) and "PERMISSION_DENIED" in str(excinfo.value)
    with pytest.raises(MlflowException) as excinfo:
        client.set_terminated(run_id)
    assert _error_code(excinfo) == "PERMISSION_DENIED"

    run = client.get_run(run_id)
    assert run.data.metrics == {"loss": 0.25}
    assert "sneaky" not in run.data.tags
    assert run.info.status == "RUNNING"
    readme = requests.get(
        f"{access_server['url']}/api/2.0/mlflow-artifacts/artifacts/"
        f"ml_experiment_{logged_run['experiment_id']}/1/notes/readme.txt",
        headers={"Authorization": f"Bearer {access_server['reader']}"})
    assert readme.content == b"hello from the writer"


def test_client_without_a_token_is_unauthenticated_when_tokens_exist(tracking, access_server, logged_run):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    with pytest.raises(MlflowException) as excinfo:
        client.search_experiments()
    assert _error_code(excinfo) == "UNAUTHENTICATED"
    with pytest.raises(MlflowException) as excinfo:
        client.get_run(logged_run["run_id"])
    assert _error_code(excinfo) == "UNAUTHENTICATED"
    with pytest.raises(MlflowException) as excinfo:
        tracking.start_run(experiment_id=logged_run["experiment_id"])
    assert _error_code(excinfo) == "UNAUTHENTICATED"


def test_client_with_a_wrong_token_is_unauthenticated_when_tokens_exist(tracking, access_server, monkeypatch):
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", access_server["writer"] + "x")
    with pytest.raises(MlflowException) as excinfo:
        MlflowClient().search_experiments()
    assert _error_code(excinfo) == "UNAUTHENTICATED"
    assert "unknown or has been revoked" in str(excinfo.value)


# --- the start-up warning ------------------------------------------------------------------

@pytest.fixture(scope="module")
def open_exposed_log(tmp_path_factory):
    """What `python app.py --host 0.0.0.0` prints over an instance without tokens.

    The server is stopped as soon as it answers.
    """
    server = LiveServer(tmp_path_factory.mktemp("exposed-empty"), "exposed.log", host="0.0.0.0")
    server.stop()
    return server.log()


def test_serving_beyond_loopback_warns_when_no_token_exists(open_exposed_log):
    log = open_exposed_log
    assert SERVING in log, log
    assert WARNING in log and "0.0.0.0" in log, log
    assert "tokens create" in log, log
    assert log.index(WARNING) < log.index(SERVING), log  # said before it starts serving


def test_serving_beyond_loopback_is_quiet_when_a_token_exists(access_server):
    log = access_server["log_path"].read_text()
    assert SERVING in log and "0.0.0.0" in log, log
    assert WARNING not in log, log
