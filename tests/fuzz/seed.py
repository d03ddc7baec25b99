"""A small world for the fuzzer, made through the API: experiments, runs with data and files,
a registered model with versions and an alias, a logged model, and real page tokens; and
`revive`, which undoes the fuzzer's deletes so later requests still meet live ids."""
from tests.fuzz.strategies import Pool

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"


def seed(client) -> Pool:
    def call(method: str, path: str, body: dict | None = None) -> dict:
        response = client.open(API + path, method=method, json=body)
        assert response.status_code == 200, (path, response.get_json())
        return response.get_json()

    pool = Pool()
    experiments = {}
    for name in ("fuzz-a", "fuzz b/ü", "fuzz-deleted"):
        experiments[name] = call("POST", "/experiments/create", {
            "name": name, "tags": [{"key": "team", "value": "x"}]})["experiment_id"]
    a, b, deleted = experiments.values()
    runs = []
    for index, experiment_id in enumerate([a, a, a, b, deleted]):
        run = call("POST", "/runs/create", {"experiment_id": experiment_id, "run_name": f"r{index}",
                                            "tags": [{"key": "t1", "value": str(index)}]})["run"]
        run_id = run["info"]["run_id"]
        runs.append(run_id)
        call("POST", "/runs/log-batch", {
            "run_id": run_id, "params": [{"key": "p1", "value": str(index)}],
            "metrics": [{"key": "m1", "value": v, "timestamp": 1000 + s, "step": s}
                        for s, v in enumerate([0.5, index, "NaN"])]
                       + [{"key": "loss", "value": "Infinity", "timestamp": 5, "step": 0}]})
    call("POST", "/runs/log-inputs", {"run_id": runs[0], "datasets": [{
        "tags": [{"key": "mlflow.data.context", "value": "train"}],
        "dataset": {"name": "ds", "digest": "d1", "source_type": "local", "source": "{}"}}]})
    model = call("POST", "/logged-models", {"experiment_id": a, "name": "lm", "source_run_id": runs[0],
                                            "params": [{"key": "p1", "value": "1"}]})["model"]
    model_id = model["info"]["model_id"]
    files = [f"ml_experiment_{a}/1/model/MLmodel", f"ml_experiment_{a}/1/data.txt",
             f"ml_experiment_{a}/models/{model_id}/artifacts/model.pkl"]
    for path in files:
        assert client.put(f"{ARTIFACTS}/{path}", data=b"seeded").status_code == 200
    _register_model(call, runs[0], model_id)
    call("POST", "/registered-models/create", {"name": "empty-model"})
    call("POST", "/runs/delete", {"run_id": runs[1]})
    call("POST", "/experiments/delete", {"experiment_id": deleted})

    for path, body in (("/runs/search", {"experiment_ids": [a], "max_results": 1}),
                       ("/experiments/search", {"max_results": 1}),
                       ("/logged-models/search", {"experiment_ids": [a], "max_results": 1})):
        token = call("POST", path, body).get("next_page_token")
        if token:
            pool.page_tokens.append(token)
    pool.experiment_ids += [a, b, deleted]
    pool.experiment_names += list(experiments)
    pool.run_ids += runs
    pool.model_names += ["fuzz-model", "empty-model"]
    pool.live_experiment_ids, pool.live_run_ids = [a, b], [runs[0], runs[2], runs[3]]
    pool.model_ids.append(model_id)
    pool.artifact_paths += files + [
        f"ml_experiment_{a}/1", f"ml_experiment_{a}", f"ml_experiment_{a}/2/new.bin",
        f"ml_experiment_{deleted}/1/x.txt", f"ml_experiment_{a}/1/model", f"ml_experiment_{a}/1/data.txt/x",
        f"ml_experiment_{a}/{'9' * 25}/x", f"ml_experiment_{a}/²/x", f"ml_experiment_{a}/1/" + "n" * 256,
        f"ml_experiment_{a}/1/" + "d/" * 600 + "f", f"ml_experiment_{b}/1/a/b/c.txt",
        f"ml_experiment_{a}/models/{model_id}/artifacts/sub/x.bin"]
    return pool


def _register_model(call, run_id: str, model_id: str) -> None:
    call("POST", "/registered-models/create", {"name": "fuzz-model", "tags": [{"key": "k", "value": "v"}]})
    for source in (f"runs:/{run_id}/model", f"models:/{model_id}"):
        call("POST", "/model-versions/create", {"name": "fuzz-model", "source": source})
    call("POST", "/registered-models/alias", {"name": "fuzz-model", "alias": "champion", "version": "1"})


def revive(fuzz) -> None:
    """Restore the seeded experiments and runs and re-register the model, through the API
    (each request counted and checked like the fuzzer's own)."""
    pool = fuzz.pool
    for experiment_id in pool.live_experiment_ids:
        fuzz.send("POST", f"{API}/experiments/restore", body={"experiment_id": experiment_id})
    for run_id in pool.live_run_ids:
        fuzz.send("POST", f"{API}/runs/restore", body={"run_id": run_id})
    model = fuzz.client.get(f"{API}/registered-models/get", query_string={"name": "fuzz-model"})
    if model.status_code == 404:
        def call(method, path, body):
            fuzz.send(method, API + path, body=body)
        _register_model(call, pool.run_ids[0], pool.model_ids[0])
