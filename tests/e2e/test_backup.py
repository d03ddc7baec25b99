"""`flask --app app backup` of a live, busy server, restored into a fresh instance and served again."""
import hashlib
import os
import subprocess
import sys
import threading
import time

import pytest

from mlexp.storage.restore import database_in_use
from tests.e2e.live_server import PROJECT_ROOT, LiveServer

pytestmark = pytest.mark.sqlite_only  # backup and restore support SQLite only

PRE_RUNS = 3
POINTS_PER_RUN = 50


def _flask(instance, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m flask --app app ARGS` against `instance`, as an operator would."""
    env = {**os.environ, "MLEXP_INSTANCE": str(instance)}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _point_to(mlflow, monkeypatch, url: str):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", url)
    mlflow.set_tracking_uri(url)
    return MlflowClient(url)


def _download(client, run_id: str, path: str, folder) -> bytes:
    local = client.download_artifacts(run_id, path, str(folder))
    with open(local, "rb") as fh:
        return fh.read()


class BackgroundLogger(threading.Thread):
    """Keeps logging metric batches, artifacts and new runs; notes when each write was acknowledged."""

    def __init__(self, client, experiment_id: str, folder):
        super().__init__(daemon=True)
        self.client, self.experiment_id, self.folder = client, experiment_id, folder
        self.stop = threading.Event()
        # (acknowledged at, run_id, kind, detail): kind "points" (list of (step, value)) or "file" (name, sha)
        self.acknowledged: list[tuple[float, str, str, object]] = []
        self.errors: list[BaseException] = []

    def run(self) -> None:
        from mlflow.entities import Metric

        try:
            run_id = None
            for i in range(10**6):
                if self.stop.is_set():
                    return
                if i % 10 == 0:
                    run_id = self.client.create_run(self.experiment_id).info.run_id
                    self.acknowledged.append((time.monotonic(), run_id, "run", None))
                points = [(i * 10 + j, i + j / 10) for j in range(10)]
                self.client.log_batch(run_id, metrics=[Metric("live", v, 1_700_000_000_000 + s, s)
                                                       for s, v in points])
                self.acknowledged.append((time.monotonic(), run_id, "points", points))
                if i % 3 == 0:
                    data = os.urandom(1000 + i)
                    path = self.folder / f"bg-{i}.bin"
                    path.write_bytes(data)
                    self.client.log_artifact(run_id, str(path), "bg")
                    self.acknowledged.append((time.monotonic(), run_id, "file", (f"bg/bg-{i}.bin", _sha(data))))
                time.sleep(0.02)  # steady traffic, leaving CPU for the backup command itself
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)


def test_backup_of_a_busy_server_restores_every_acknowledged_write_when_served_again(
        tmp_path, monkeypatch):
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    files = tmp_path / "files"
    files.mkdir()
    source = LiveServer(tmp_path / "source")
    try:
        client = _point_to(mlflow, monkeypatch, source.url)
        experiment_id = client.create_experiment("backed-up")
        expected = {}  # run_id -> {"params", "tags", "points", "files"}
        for r in range(PRE_RUNS):
            run_id = client.create_run(experiment_id, run_name=f"pre-{r}").info.run_id
            points = [(s, r + s / 7) for s in range(POINTS_PER_RUN)]
            client.log_batch(run_id, metrics=[Metric("loss", v, 1_700_000_000_000 + s, s) for s, v in points],
                             params=[Param("lr", str(0.1 * (r + 1))), Param("layers", str(r))],
                             tags=[RunTag("team", f"t{r}")])
            run_files = {}
            for name, data in ((f"notes-{r}.txt", f"run {r}\n".encode()),
                               (f"weights-{r}.bin", os.urandom(2 * 1024 * 1024 + r))):
                (files / name).write_bytes(data)
                client.log_artifact(run_id, str(files / name), "model")
                run_files[f"model/{name}"] = _sha(data)
            expected[run_id] = {"params": {"lr": str(0.1 * (r + 1)), "layers": str(r)},
                                "tags": {"team": f"t{r}"}, "points": points, "files": run_files}

        background = BackgroundLogger(_point_to(mlflow, monkeypatch, source.url), experiment_id, files)
        background.start()
        time.sleep(1.0)
        backup_started = time.monotonic()
        backup = _flask(tmp_path / "source", "backup", str(tmp_path / "backup"))
        backup_finished = time.monotonic()
        server_seen_using_source = database_in_use(str(tmp_path / "source" / "mlexp.sqlite"))
        background.stop.set()
        background.join(timeout=30)
    finally:
        source.stop()
    assert backup.returncode == 0, backup.stderr
    assert background.errors == []
    assert server_seen_using_source  # what makes `restore` refuse to run under a live server

    restore = _flask(tmp_path / "restored", "restore", str(tmp_path / "backup"), "--yes")
    assert restore.returncode == 0, restore.stderr
    target = LiveServer(tmp_path / "restored")
    try:
        client = _point_to(mlflow, monkeypatch, target.url)
        for run_id, want in expected.items():
            run = client.get_run(run_id)
            assert run.data.params == want["params"]
            assert {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")} == want["tags"]
            history = client.get_metric_history(run_id, "loss")
            assert sorted((m.step, m.value) for m in history) == want["points"]
            listed = {f.path for f in client.list_artifacts(run_id, "model")}
            assert listed == set(want["files"])
            for path, sha in want["files"].items():
                assert _sha(_download(client, run_id, path, tmp_path / "dl" / run_id)) == sha

        before = [a for a in background.acknowledged if a[0] < backup_started]
        during = [a for a in background.acknowledged if backup_started <= a[0] < backup_finished]
        missing = []
        for _, run_id, kind, detail in before:
            if kind == "run":
                client.get_run(run_id)
            elif kind == "points":
                stored = {(m.step, m.value) for m in client.get_metric_history(run_id, "live")}
                missing += [p for p in detail if p not in stored]
            else:
                path, sha = detail
                if _sha(_download(client, run_id, path, tmp_path / "dl-bg" / run_id)) != sha:
                    missing.append(path)
        restored_runs = {r.info.run_id: r for r in client.search_runs([experiment_id], max_results=1000)}
        restored_iids = {int(r.info.artifact_uri.rsplit("/", 1)[1]) for r in restored_runs.values()}
        on_disk = set(os.listdir(tmp_path / "restored" / "packages" / f"ml_experiment_{experiment_id}"))
    finally:
        target.stop()

    print(f"\nbackup test: {PRE_RUNS} runs, {PRE_RUNS * POINTS_PER_RUN} points and "
          f"{PRE_RUNS * 2} files logged first; background writes acknowledged before the backup "
          f"started: {len(before)}, during it: {len(during)}, after: "
          f"{len(background.acknowledged) - len(before) - len(during)}; backup took "
          f"{backup_finished - backup_started:.1f} s; missing after restore: {len(missing)}\n"
          f"{backup.stdout.strip()}")
    assert before and missing == []
    # Package folders of runs the database snapshot does not know were left out of the backup.
    assert {int(name) for name in on_disk} <= restored_iids


@pytest.fixture(autouse=True)
def _forget_tracking_uri():
    """The servers this test started are gone afterwards: leave no tracking URI pointing at them."""
    yield
    import mlflow

    mlflow.set_tracking_uri(None)
