"""16 writer threads in 4 processes against one live server: no request fails, no metric goes missing."""
import time

from tests.e2e.live_server import LiveServer
from tests.e2e.rest import acknowledged_points, post, run_writers, stored_points

PROCESSES = 4
THREADS_PER_PROCESS = 4
SHARED_RUNS = 2
SECONDS = 10


def test_no_write_fails_or_goes_missing_when_sixteen_threads_in_four_processes_log(tmp_path):
    server = LiveServer(tmp_path / "instance")
    try:
        experiment_id = post(server.url, "/experiments/create", {"name": "many-writers"})["experiment_id"]
        workers = PROCESSES * THREADS_PER_PROCESS
        runs = [post(server.url, "/runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]
                for _ in range(workers + SHARED_RUNS)]
        own, shared = runs[:workers], runs[workers:]
        start_at = time.time() + 3  # every process has imported requests and started its threads by then
        configs = []
        for p in range(PROCESSES):
            chosen = range(p * THREADS_PER_PROCESS, (p + 1) * THREADS_PER_PROCESS)
            configs.append({"url": server.url, "start_at": start_at, "stop_at": start_at + SECONDS,
                            "workers": list(chosen), "own_runs": [own[w] for w in chosen], "shared_runs": shared})
        reports = run_writers(configs, timeout=SECONDS + 120)

        failures = [f for r in reports for f in r["failures"]]
        acknowledged = acknowledged_points(reports)
        stored = {(run_id, key): stored_points(server.url, run_id, key) for run_id, key in acknowledged}
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
