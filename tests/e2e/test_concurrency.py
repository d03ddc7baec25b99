"""Many client threads writing at once: nothing is dropped and no one sees "database is locked"."""
from concurrent.futures import ThreadPoolExecutor


def test_no_metric_is_dropped_when_eight_threads_log_to_one_run(mlflow, client, unique_name):
    experiment_id = client.create_experiment(unique_name)
    run_id = client.create_run(experiment_id).info.run_id

    def log(worker: int) -> None:
        for step in range(25):
            client.log_metric(run_id, "loss", worker + step / 100, step=worker * 100 + step)
            client.set_tag(run_id, f"worker{worker}", str(step))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(log, range(8)))

    history = client.get_metric_history(run_id, "loss")
    assert len(history) == 8 * 25
    assert sorted(m.step for m in history) == sorted(w * 100 + s for w in range(8) for s in range(25))
    assert client.get_run(run_id).data.metrics["loss"] == 7 + 24 / 100


def test_iids_stay_unique_and_gapless_when_runs_are_created_concurrently(mlflow, client, unique_name):
    experiment_id = client.create_experiment(unique_name)

    def create(_: int) -> str:
        return client.create_run(experiment_id).info.artifact_uri

    with ThreadPoolExecutor(max_workers=8) as pool:
        uris = list(pool.map(create, range(40)))

    iids = sorted(int(uri.rsplit("/", 1)[1]) for uri in uris)
    assert iids == list(range(1, 41))
