"""The team deployment from README.md: gunicorn with four worker processes on one database
(a PostgreSQL database under `pytest --postgres`, the instance's SQLite file otherwise), while
sixteen clients in four processes create runs in one experiment and log to shared runs."""
import hashlib
import os
import time

import pytest
import requests

from tests.e2e.live_server import GunicornServer
from tests.e2e.rest import acknowledged_points, post, run_writers, stored_points

WORKERS = 4
PROCESSES = 4
THREADS_PER_PROCESS = 4
SHARED_RUNS = 2
SECONDS = 6




def _all_run_ids(url: str, experiment_id: str) -> list[str]:
    found, token = [], None
    while True:
        page = post(url, "/runs/search", {"experiment_ids": [experiment_id], "max_results": 500,
                                          **({"page_token": token} if token else {})})
        found += [run["info"]["run_id"] for run in page.get("runs", [])]
        token = page.get("next_page_token")
        if not token:
            return found




@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    server = GunicornServer(tmp_path_factory.mktemp("team") / "instance", workers=WORKERS)
    yield server
    server.stop()


def test_iids_stay_gapless_and_no_write_is_lost_when_gunicorn_workers_serve_many_clients(team_server):
    experiment_id = post(team_server.url, "/experiments/create", {"name": "team"})["experiment_id"]
    shared = [post(team_server.url, "/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
              for _ in range(SHARED_RUNS)]
    start_at = time.time() + 3
    configs = []
    for p in range(PROCESSES):
        chosen = list(range(p * THREADS_PER_PROCESS, (p + 1) * THREADS_PER_PROCESS))
        own = [post(team_server.url, "/runs/create", {"experiment_id": "0"})["run"]["info"]["run_id"]
               for _ in chosen]
        configs.append({"url": team_server.url, "start_at": start_at, "stop_at": start_at + SECONDS,
                        "workers": chosen, "own_runs": own, "shared_runs": shared, "experiment_id": experiment_id})
    reports = run_writers(configs, timeout=SECONDS + 120)
    acknowledged = acknowledged_points(reports)
    stored = {(run_id, key): stored_points(team_server.url, run_id, key) for run_id, key in acknowledged}
    listed = _all_run_ids(team_server.url, experiment_id)
    log = team_server.log()

    failures = [f for r in reports for f in r["failures"]]
    created = [tuple(pair) for r in reports for pair in r["created"]]
    iids = sorted(iid for _, iid in created)
    print(f"\nteam deployment ({WORKERS} gunicorn workers; {PROCESSES} x {THREADS_PER_PROCESS} clients, "
          f"{SECONDS} s): {len(created)} runs created in one experiment, "
          f"{sum(r['requests_ok'] for r in reports)} log-batch requests acknowledged, {len(failures)} failed; "
          f"metric points acknowledged {sum(acknowledged.values())} vs stored {sum(stored.values())}")
    assert failures == [], failures[:5]
    assert log.count("Booting worker with pid") >= WORKERS, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert len(created) > WORKERS
    assert iids == list(range(SHARED_RUNS + 1, SHARED_RUNS + 1 + len(created)))  # unique and gapless
    assert sorted(listed) == sorted(shared + [run_id for run_id, _ in created])
    assert stored == acknowledged


def test_artifacts_round_trip_whole_when_uploaded_through_gunicorn_workers(team_server):
    """Uploads reach the app as a plain wsgi.input stream under gunicorn (waitress spools them)."""
    url = team_server.url
    experiment_id = post(url, "/experiments/create", {"name": "team-artifacts"})["experiment_id"]
    run = post(url, "/runs/create", {"experiment_id": experiment_id})["run"]["info"]
    iid = run["artifact_uri"].rsplit("/", 1)[1]
    base = f"{url}/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/{iid}"
    payload = os.urandom(24 * 1024 * 1024 + 7)

    chunks = (payload[i:i + 65536] for i in range(0, len(payload), 65536))  # streamed, chunked
    put = requests.put(f"{base}/model/weights.bin", data=chunks, timeout=120)
    got = requests.get(f"{base}/model/weights.bin", timeout=120)

    assert put.status_code == 200, put.text
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(payload).hexdigest()
    package = os.path.join(team_server.instance, "packages", f"ml_experiment_{experiment_id}")
    files = [os.path.relpath(os.path.join(d, f), package) for d, _, fs in os.walk(package) for f in fs]
    assert files == [os.path.join(iid, "model", "weights.bin")]
