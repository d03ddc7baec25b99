"""MLflow 3 logged models through the real client: log_model, then load it back and predict."""
import pytest


class AddN:
    """A tiny pyfunc model: adds n to every input value."""


def _model_class():
    import mlflow.pyfunc

    class AddNModel(mlflow.pyfunc.PythonModel):
        def __init__(self, n):
            self.n = n

        def predict(self, context, model_input, params=None):
            return model_input.apply(lambda column: column + self.n)

    return AddNModel


def test_pyfunc_model_loads_and_predicts_when_logged_in_a_run(mlflow, client, unique_name):
    pandas = pytest.importorskip("pandas")
    mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        info = mlflow.pyfunc.log_model(name="model", python_model=_model_class()(5))
    frame = pandas.DataFrame({"x": [1.0, 2.0]})
    by_run = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert list(by_run.predict(frame)["x"]) == [6.0, 7.0]
    by_id = mlflow.pyfunc.load_model(f"models:/{info.model_id}")
    assert list(by_id.predict(frame)["x"]) == [6.0, 7.0]
    model = client.get_logged_model(info.model_id)
    assert model.status == "READY" or str(model.status).endswith("READY")
    assert model.source_run_id == run.info.run_id


def test_registered_version_loads_by_number_and_alias_when_promoted(mlflow, client, unique_name):
    pandas = pytest.importorskip("pandas")
    mlflow.set_experiment(unique_name)
    with mlflow.start_run() as run:
        mlflow.pyfunc.log_model(name="model", python_model=_model_class()(2))
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", f"{unique_name}-reg")
    assert version.version == "1"
    assert version.run_id == run.info.run_id
    client.set_registered_model_alias(f"{unique_name}-reg", "champion", "1")
    frame = pandas.DataFrame({"x": [1.0]})
    for uri in (f"models:/{unique_name}-reg/1", f"models:/{unique_name}-reg@champion"):
        assert list(mlflow.pyfunc.load_model(uri).predict(frame)["x"]) == [3.0], uri
    assert client.get_model_version_by_alias(f"{unique_name}-reg", "champion").version == "1"
    registered = client.get_registered_model(f"{unique_name}-reg")
    assert registered.aliases == {"champion": "1"}
    found = client.search_model_versions(f"run_id = '{run.info.run_id}'")
    assert [(v.name, v.version) for v in found] == [(f"{unique_name}-reg", "1")]


def test_registry_errors_match_mlflow_when_names_clash_or_are_missing(mlflow, client, unique_name):
    from mlflow.exceptions import MlflowException

    client.create_registered_model(unique_name)
    with pytest.raises(MlflowException) as clash:
        client.create_registered_model(unique_name)
    assert clash.value.error_code == "RESOURCE_ALREADY_EXISTS"
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(unique_name + "-nope")
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_sklearn_model_round_trips_when_logged_with_its_flavor(mlflow, unique_name):
    sklearn = pytest.importorskip("sklearn")
    from sklearn.linear_model import LinearRegression

    mlflow.set_experiment(unique_name)
    model = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model")
    loaded = mlflow.sklearn.load_model(f"runs:/{run.info.run_id}/model")
    assert loaded.predict([[3.0]])[0] == pytest.approx(7.0)
    assert sklearn.__version__
