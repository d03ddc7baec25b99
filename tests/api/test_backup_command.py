"""`flask --app app backup DIR` and `restore DIR`: what goes into a backup, and when restore refuses."""
import json
import os
import sqlite3

import pytest

from mlexp import create_app
from mlexp.artifacts.upload_files import TEMP_PREFIX
from mlexp.cli import backup_command, restore_command

pytestmark = pytest.mark.sqlite_only  # backup and restore support SQLite only


def _upload(client, path: str, data: bytes = b"data") -> None:
    response = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}", data=data)
    assert response.status_code == 200, response.get_json()


def test_backup_holds_the_database_and_known_package_files_when_made(app, api, client, tmp_path):
    experiment_id = api.create_experiment("kept")
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 1, "step": 0})
    _upload(client, f"ml_experiment_{experiment_id}/1/model/a.bin", b"weights")
    packages = app.config["PACKAGES_DIR"]
    run_folder = os.path.join(packages, f"ml_experiment_{experiment_id}", "1")
    with open(os.path.join(run_folder, TEMP_PREFIX + "crashed"), "wb") as fh:
        fh.write(b"half")
    os.makedirs(os.path.join(packages, f"ml_experiment_{experiment_id}", "2"))  # a run the DB does not know
    with open(os.path.join(packages, f"ml_experiment_{experiment_id}", "2", "b.bin"), "wb") as fh:
        fh.write(b"newer")

    result = app.test_cli_runner().invoke(backup_command, [str(tmp_path / "backup")])

    assert result.exit_code == 0, result.output
    assert "1 metric points, 1 package files (7 bytes)" in result.output
    manifest = json.loads((tmp_path / "backup" / "mlexp-backup.json").read_text())
    assert manifest["tables"]["runs"] == 1 and manifest["tables"]["metrics"] == 1
    assert manifest["skipped_temp_files"] == 1 and manifest["skipped_newer_than_database"] == 1
    assert manifest["database_path"] == os.path.join(app.instance_path, "mlexp.sqlite")
    copied = sorted(os.path.relpath(os.path.join(d, f), tmp_path / "backup" / "packages")
                    for d, _, fs in os.walk(tmp_path / "backup" / "packages") for f in fs)
    assert copied == [f"ml_experiment_{experiment_id}/1/model/a.bin"]
    with sqlite3.connect(tmp_path / "backup" / "mlexp.sqlite") as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT uuid FROM runs").fetchall() == [(run_id,)]


def test_restore_brings_back_database_and_packages_when_given_a_backup(app, api, client, tmp_path):
    experiment_id = api.create_experiment("kept")
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    _upload(client, f"ml_experiment_{experiment_id}/1/a.txt", b"hello")
    assert app.test_cli_runner().invoke(backup_command, [str(tmp_path / "backup")]).exit_code == 0
    fresh = create_app({"TESTING": True}, instance_path=str(tmp_path / "fresh"))
    leftover = os.path.join(fresh.config["PACKAGES_DIR"], "stale.txt")
    with open(leftover, "w") as fh:
        fh.write("replaced")

    result = fresh.test_cli_runner().invoke(restore_command, [str(tmp_path / "backup"), "--yes"])

    assert result.exit_code == 0, result.output
    assert not os.path.exists(leftover)
    restored = fresh.test_client()
    assert restored.get("/api/2.0/mlflow/runs/get", query_string={"run_id": run_id}).status_code == 200
    download = restored.get(f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1/a.txt")
    assert download.data == b"hello"
    assert [n for n in os.listdir(tmp_path / "fresh") if n.startswith(".mlexp-")] == []


def test_restore_refuses_when_the_folder_is_not_a_backup(app, tmp_path):
    (tmp_path / "empty").mkdir()
    result = app.test_cli_runner().invoke(restore_command, [str(tmp_path / "empty"), "--yes"])
    assert result.exit_code != 0
    assert "is not an mlexp backup" in result.output


def test_restore_refuses_when_the_backup_does_not_match_its_manifest(app, tmp_path):
    assert app.test_cli_runner().invoke(backup_command, [str(tmp_path / "backup")]).exit_code == 0
    with sqlite3.connect(tmp_path / "backup" / "mlexp.sqlite") as copy:
        copy.execute("DELETE FROM experiments")
    result = app.test_cli_runner().invoke(restore_command, [str(tmp_path / "backup"), "--yes"])
    assert result.exit_code != 0
    assert "does not hold the rows its manifest lists" in result.output


def test_restore_refuses_when_another_process_has_the_database_open(app, tmp_path):
    assert app.test_cli_runner().invoke(backup_command, [str(tmp_path / "backup")]).exit_code == 0
    server = sqlite3.connect(os.path.join(app.instance_path, "mlexp.sqlite"))  # as a server holds it
    try:
        server.execute("SELECT count(*) FROM runs").fetchone()
        result = app.test_cli_runner().invoke(restore_command, [str(tmp_path / "backup"), "--yes"])
    finally:
        server.close()
    assert result.exit_code != 0
    assert "is in use (is the server running?)" in result.output


def test_backup_refuses_when_the_database_is_not_sqlite(app, tmp_path):
    app.config["DATABASE_URI"] = "postgresql://mlexp@db.example/mlexp"
    result = app.test_cli_runner().invoke(backup_command, [str(tmp_path / "backup")])
    assert result.exit_code != 0
    assert "backup and restore support SQLite only" in result.output
    assert not (tmp_path / "backup").exists()


def test_backup_refuses_when_the_target_folder_holds_files(app, tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "keep.txt").write_text("mine")
    result = app.test_cli_runner().invoke(backup_command, [str(tmp_path / "backup")])
    assert result.exit_code != 0
    assert "is not an empty folder" in result.output
    assert (tmp_path / "backup" / "keep.txt").read_text() == "mine"
