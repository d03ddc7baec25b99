"""The API calls logged-model tests make: PATCH and DELETE, model shortcuts, artifact uploads, and
metrics logged with a model_id."""
from tests.conftest import Api

ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


class ModelApi(Api):
    """Api plus the verbs and shortcuts logged models need (PATCH, DELETE, uploads)."""

    def patch(self, path: str, body=None):
        response = self.client.patch(self.prefix + path, json=body)
        return response.status_code, response.get_json()

    def delete(self, path: str):
        response = self.client.delete(self.prefix + path)
        return response.status_code, response.get_json()

    def create_model(self, experiment_id: str, **body) -> dict:
        return self.ok_post("/logged-models", {"experiment_id": experiment_id, **body})["model"]

    def get_model(self, model_id: str) -> dict:
        return self.ok_get(f"/logged-models/{model_id}")["model"]

    def search(self, experiment_ids: list[str], **body) -> dict:
        return self.ok_post("/logged-models/search", {"experiment_ids": experiment_ids, **body})

    def names(self, experiment_ids: list[str], **body) -> list[str]:
        return [m["info"]["name"] for m in self.search(experiment_ids, **body).get("models", [])]

    def upload(self, experiment_id: str, model_id: str, path: str, data: bytes):
        response = self.client.put(
            f"{ARTIFACTS}/ml_experiment_{experiment_id}/models/{model_id}/artifacts/{path}", data=data)
        return response.status_code, response.get_json()


def model_id_of(model: dict) -> str:
    return model["info"]["model_id"]


def log_metric(api, run_id, key, value, *, step=0, timestamp=1, **extra):
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": key, "value": value,
                                     "timestamp": timestamp, "step": step, **extra})
