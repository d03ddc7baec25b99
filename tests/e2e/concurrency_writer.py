"""One writer process for the concurrency tests: THREADS threads logging batches until a deadline.

Usage: python concurrency_writer.py CONFIG_JSON. Each thread logs to its own run and, in turn, to
the shared runs, and records every request's outcome; the process prints one JSON report. With
"experiment_id" in the config, each thread also creates a run there before every batch and
records the run's IID.
"""
import json
import sys
import threading
import time

import requests

POINTS_PER_BATCH = 10


def write(config: dict, worker: int, own_run: str, report: dict) -> None:
    session = requests.Session()
    targets = [own_run, *config["shared_runs"]]
    key = f"w{worker}"
    step = {run: 0 for run in targets}
    while time.time() < config["start_at"]:
        time.sleep(0.005)
    n = 0
    while time.time() < config["stop_at"]:
        if config.get("experiment_id") is not None:
            _create_run(session, config, report)
        shared = config["shared_runs"]
        run = own_run if n % 2 == 0 else shared[(n // 2) % len(shared)]  # own, shared, own, shared…
        n += 1
        first = step[run]
        body = {"run_id": run,
                "metrics": [{"key": key, "value": s / 3, "timestamp": 1_700_000_000_000 + s, "step": s}
                            for s in range(first, first + POINTS_PER_BATCH)],
                "tags": [{"key": key, "value": str(first)}]}
        try:
            response = session.post(config["url"] + "/api/2.0/mlflow/runs/log-batch", json=body, timeout=120)
        except requests.RequestException as exc:
            report["failures"].append({"run": run, "error": repr(exc)})
            continue
        if response.status_code == 200:
            step[run] += POINTS_PER_BATCH
            report["acknowledged"].setdefault(run, {}).setdefault(key, 0)
            report["acknowledged"][run][key] += POINTS_PER_BATCH
            report["requests_ok"] += 1
        else:
            report["failures"].append({"run": run, "status": response.status_code, "body": response.text[:300]})


def _create_run(session, config: dict, report: dict) -> None:
    try:
        response = session.post(config["url"] + "/api/2.0/mlflow/runs/create",
                                json={"experiment_id": config["experiment_id"]}, timeout=120)
    except requests.RequestException as exc:
        report["failures"].append({"create": True, "error": repr(exc)})
        return
    if response.status_code != 200:
        report["failures"].append({"create": True, "status": response.status_code, "body": response.text[:300]})
        return
    info = response.json()["run"]["info"]
    report["created"].append([info["run_id"], int(info["artifact_uri"].rsplit("/", 1)[1])])


def main() -> None:
    config = json.loads(sys.argv[1])
    reports = []
    threads = []
    for worker, own_run in zip(config["workers"], config["own_runs"]):
        report = {"acknowledged": {}, "requests_ok": 0, "failures": [], "created": []}
        reports.append(report)
        threads.append(threading.Thread(target=write, args=(config, worker, own_run, report)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(reports))


if __name__ == "__main__":
    main()
