"""Plain REST calls and writer processes for the multi-process tests, where the mlflow client
would be the bottleneck."""
import json
import os
import subprocess
import sys

import requests

API = "/api/2.0/mlflow"
WRITER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "concurrency_writer.py")


def post(url: str, path: str, body: dict) -> dict:
    response = requests.post(url + API + path, json=body, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def stored_points(url: str, run_id: str, key: str) -> int:
    response = requests.get(url + API + "/metrics/get-history", params={"run_id": run_id, "metric_key": key},
                            timeout=60)
    assert response.status_code == 200, response.text
    return len(response.json().get("metrics", []))


def acknowledged_points(reports: list[dict]) -> dict[tuple[str, str], int]:
    """{(run_id, key): points} that concurrency_writer.py reports were acknowledged."""
    acknowledged: dict[tuple[str, str], int] = {}
    for report in reports:
        for run_id, keys in report["acknowledged"].items():
            for key, count in keys.items():
                acknowledged[run_id, key] = acknowledged.get((run_id, key), 0) + count
    return acknowledged


def run_writers(configs: list[dict], timeout: float) -> list[dict]:
    """One concurrency_writer.py process per config, all at once; their threads' reports."""
    processes = [subprocess.Popen([sys.executable, WRITER, json.dumps(config)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for config in configs]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, err
        reports += json.loads(out)
    return reports
