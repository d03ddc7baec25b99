"""Artifacts through the real mlflow client: they land as packages under instance/packages."""
import hashlib
import json
import os

import pytest
import yaml


@pytest.fixture
def run_in_experiment(mlflow, unique_name):
    experiment = mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        yield experiment, run


def test_log_artifact_lands_in_package_when_logged(mlflow, client, run_in_experiment, tmp_path,
                                                   server_instance):
    experiment, run = run_in_experiment
    data = os.urandom(300_000)
    source = tmp_path / "weights.bin"
    source.write_bytes(data)
    mlflow.log_artifact(str(source))
    mlflow.log_artifact(str(source), artifact_path="nested/dir")
    stored = server_instance / "packages" / f"ml_experiment_{experiment.experiment_id}" / "1" / "weights.bin"
    assert stored.read_bytes() == data
    listed = client.list_artifacts(run.info.run_id)
    assert [(f.path, f.is_dir) for f in listed] == [("nested", True), ("weights.bin", False)]
    assert [f.path for f in client.list_artifacts(run.info.run_id, "nested/dir")] == ["nested/dir/weights.bin"]
    local = client.download_artifacts(run.info.run_id, "nested/dir/weights.bin", str(tmp_path / "dl"))
    with open(local, "rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_text_and_dict_round_trip_when_logged(mlflow, run_in_experiment):
    _, run = run_in_experiment
    mlflow.log_text("héllo wörld", "notes/readme é.txt")
    mlflow.log_dict({"a": 1, "b": [1, 2]}, "config.json")
    mlflow.log_dict({"a": 1}, "config.yaml")
    base = f"runs:/{run.info.run_id}"
    assert mlflow.artifacts.load_text(f"{base}/notes/readme é.txt") == "héllo wörld"
    assert mlflow.artifacts.load_dict(f"{base}/config.json") == {"a": 1, "b": [1, 2]}
    assert yaml.safe_load(mlflow.artifacts.load_text(f"{base}/config.yaml")) == {"a": 1}


def test_folder_downloads_whole_when_logged_with_log_artifacts(mlflow, run_in_experiment, tmp_path):
    _, run = run_in_experiment
    source = tmp_path / "src"
    (source / "a" / "b").mkdir(parents=True)
    (source / "top.txt").write_text("top")
    (source / "a" / "b" / "deep.txt").write_text("deep")
    mlflow.log_artifacts(str(source), artifact_path="tree")
    local = mlflow.artifacts.download_artifacts(f"runs:/{run.info.run_id}/tree", dst_path=str(tmp_path / "out"))
    assert open(os.path.join(local, "top.txt")).read() == "top"
    assert open(os.path.join(local, "a", "b", "deep.txt")).read() == "deep"
    assert json.loads(json.dumps(sorted(os.listdir(local)))) == ["a", "top.txt"]


def test_image_and_table_are_stored_when_logged(mlflow, client, run_in_experiment):
    numpy = pytest.importorskip("numpy")
    pandas = pytest.importorskip("pandas")
    _, run = run_in_experiment
    image = (numpy.arange(16 * 16 * 3) % 255).astype("uint8").reshape(16, 16, 3)
    mlflow.log_image(image, "plots/square.png")
    mlflow.log_table(pandas.DataFrame({"x": [1, 2], "y": ["a", "b"]}), "tables/result.json")
    files = {f.path: f.file_size for f in client.list_artifacts(run.info.run_id, "plots")}
    assert files["plots/square.png"] > 0
    table = mlflow.load_table("tables/result.json", run_ids=[run.info.run_id])
    assert list(table["y"]) == ["a", "b"]


def test_binary_file_with_unicode_name_round_trips_when_logged(mlflow, client, run_in_experiment,
                                                               tmp_path):
    _, run = run_in_experiment
    data = bytes(range(256)) * 1000
    source = tmp_path / "résumé data ü.bin"
    source.write_bytes(data)
    mlflow.log_artifact(str(source), artifact_path="spaced dir")
    listed = [f.path for f in client.list_artifacts(run.info.run_id, "spaced dir")]
    assert listed == ["spaced dir/résumé data ü.bin"]
    local = mlflow.artifacts.download_artifacts(
        f"runs:/{run.info.run_id}/spaced dir/résumé data ü.bin", dst_path=str(tmp_path / "dl"))
    assert hashlib.sha256(open(local, "rb").read()).digest() == hashlib.sha256(data).digest()
