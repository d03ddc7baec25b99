"""Configuration layers: defaults, instance/config.py, MLEXP_* environment variables."""
import os

from mlexp import create_app


def test_defaults_put_everything_in_the_instance_when_nothing_is_set(tmp_path):
    app = create_app(instance_path=str(tmp_path))
    assert app.config["HOST"] == "127.0.0.1" and app.config["PORT"] == 5000
    assert app.config["DATABASE_URI"] == "sqlite:///" + os.path.join(str(tmp_path), "mlexp.sqlite")
    assert app.config["PACKAGES_DIR"] == os.path.join(str(tmp_path), "packages")
    assert os.path.exists(tmp_path / "mlexp.sqlite") and os.path.isdir(tmp_path / "packages")


def test_environment_overrides_instance_file_when_both_set(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("PORT = 6001\nTHREADS = 3\n")
    monkeypatch.setenv("MLEXP_PORT", "6002")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["PORT"] == 6002
    assert app.config["THREADS"] == 3


def test_instance_comes_from_environment_when_no_path_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("MLEXP_INSTANCE", str(tmp_path / "elsewhere"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert os.path.exists(tmp_path / "elsewhere" / "mlexp.sqlite")


def test_default_experiment_exists_when_database_is_new(tmp_path):
    client = create_app(instance_path=str(tmp_path)).test_client()
    experiment = client.get("/api/2.0/mlflow/experiments/get?experiment_id=0").get_json()["experiment"]
    assert (experiment["name"], experiment["lifecycle_stage"]) == ("Default", "active")
    assert experiment["artifact_location"] == "mlflow-artifacts:/ml_experiment_0"
