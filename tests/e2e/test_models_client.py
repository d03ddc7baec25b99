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
