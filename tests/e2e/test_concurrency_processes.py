"""16 writer threads in 4 processes against one live server: no request fails, no metric goes missing."""
import json
import os
import subprocess
import sys
import time

import requests

from tests.e2e.live_server import LiveServer

API = "/api/2.0/mlflow"
PROCESSES = 4
THREADS_PER_PROCESS = 4
SHARED_RUNS = 2
SECONDS = 10
WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "concurrency_writer.py")


def _post(url: str, path: str, body: dict) -> dict:
    response = requests.post(url + API + path, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _stored_points(url: str, run_id: str, key: str) -> int:
    response = requests.get(url + API + "/metrics/get-history", params={"run_id": run_id, "metric_key": key},
                            timeout=60)
    assert response.status_code == 200, response.text
    return len(response.json().get("metrics", []))


def test_no_write_fails_or_goes_missing_when_sixteen_threads_in_four_processes_log(tmp_path):
    server = LiveServer(tmp_path / "instance")
    try:
        experiment_id = _post(server.url, "/experiments/create", {"name": "many-writers"})["experiment_id"]
        workers = PROCESSES * THREADS_PER_PROCESS
        runs = [_post(server.url, "/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
                for _ in range(workers + SHARED_RUNS)]
        own, shared = runs[:workers], runs[workers:]
        start_at = time.time() + 3  # every process has imported requests and started its threads by then
        processes = []
        for p in range(PROCESSES):
            chosen = range(p * THREADS_PER_PROCESS, (p + 1) * THREADS_PER_PROCESS)
            config = {"url": server.url, "start_at": start_at, "stop_at": start_at + SECONDS,
                      "workers": list(chosen), "own_runs": [own[w] for w in chosen], "shared_runs": shared}
            processes.append(subprocess.Popen([sys.executable, WRITER, json.dumps(config)],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        reports = []
        for process in processes:
            out, err = process.communicate(timeout=SECONDS + 120)
            assert process.returncode == 0, err
            reports += json.loads(out)

        failures = [f for r in reports for f in r["failures"]]
        acknowledged: dict[tuple[str, str], int] = {}
        for report in reports:
            for run_id, keys in report["acknowledged"].items():
                for key, count in keys.items():
                    acknowledged[run_id, key] = acknowledged.get((run_id, key), 0) + count
        stored = {(run_id, key): _stored_points(server.url, run_id, key) for run_id, key in acknowledged}
        log = server.log()
    finally:
        server.stop()

    ok_requests = sum(r["requests_ok"] for r in reports)
    shared_acked = sum(n for (run_id, _), n in acknowledged.items() if run_id in shared)
    shared_stored = sum(n for (run_id, _), n in stored.items() if run_id in shared)
    print(f"\nconcurrency test ({PROCESSES} processes x {THREADS_PER_PROCESS} threads, {SECONDS} s): "
          f"{ok_requests} log-batch requests acknowledged, {len(failures)} failed; metric points "
          f"acknowledged {sum(acknowledged.values())} vs stored {sum(stored.values())} "
          f"(shared runs: {shared_acked} vs {shared_stored})")
    assert failures == [], failures[:5]
    assert "database is locked" not in log
    assert len(acknowledged) == workers * (1 + SHARED_RUNS)  # every thread wrote to its run and both shared runs
    assert stored == acknowledged
