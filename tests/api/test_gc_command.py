"""`flask --app app gc`: deleted runs and experiments go for good, with their files."""
import os

from mlexp.cli import gc_command


def _upload(client, path: str) -> None:
    response = client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}", data=b"data")
    assert response.status_code == 200, response.get_json()


def test_gc_removes_only_deleted_runs_and_experiments_when_run(app, api, client):
    keep_exp = api.create_experiment("keep")
    keep_run = api.create_run(keep_exp)["info"]["run_id"]
    gone_run = api.create_run(keep_exp)["info"]["run_id"]
    gone_exp = api.create_experiment("gone")
    api.create_run(gone_exp)
    _upload(client, f"ml_experiment_{keep_exp}/1/a.txt")
    _upload(client, f"ml_experiment_{keep_exp}/2/b.txt")
    _upload(client, f"ml_experiment_{gone_exp}/1/c.txt")
    api.ok_post("/runs/delete", {"run_id": gone_run})
    api.ok_post("/experiments/delete", {"experiment_id": gone_exp})

    result = app.test_cli_runner().invoke(gc_command)

    assert result.exit_code == 0, result.output
    assert "1 experiments, 2 runs removed" in result.output
    packages = app.config["PACKAGES_DIR"]
    assert os.path.exists(os.path.join(packages, f"ml_experiment_{keep_exp}", "1", "a.txt"))
    assert not os.path.exists(os.path.join(packages, f"ml_experiment_{keep_exp}", "2"))
    assert not os.path.exists(os.path.join(packages, f"ml_experiment_{gone_exp}"))
    assert api.get("/runs/get", {"run_id": gone_run})[0] == 404
    assert api.get("/experiments/get", {"experiment_id": gone_exp})[0] == 404
    assert api.get("/runs/get", {"run_id": keep_run})[0] == 200


def test_gc_removes_nothing_when_nothing_is_deleted(app, api, client):
    experiment_id = api.create_experiment("active")
    api.create_run(experiment_id)
    _upload(client, f"ml_experiment_{experiment_id}/1/a.txt")
    result = app.test_cli_runner().invoke(gc_command)
    assert "0 experiments, 0 runs removed" in result.output
    assert os.path.exists(os.path.join(app.config["PACKAGES_DIR"], f"ml_experiment_{experiment_id}", "1", "a.txt"))
