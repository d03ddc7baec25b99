"""bench/compare.py --quick runs end to end against a server it starts itself (no MLflow server).

It checks what the benchmark printed, never how fast anything was.
"""
import json
import os
import subprocess
import sys

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

EXPECTED_KEYS = {
    "startup", "startup_first_api",
    "log_metric_c1", "log_metric_c8",
    "log_batch_c1", "log_batch_c8",
    "create_finish_c1", "create_finish_c8",
    "fluent_log_metric_keepalive",
    "search_filtered_c1", "search_filtered_c8", "search_page_all",
    "metric_history",
    "artifact_put", "artifact_get",
}


def test_quick_benchmark_prints_every_workload_when_run_against_mlexp_alone():
    done = subprocess.run([sys.executable, "bench/compare.py", "--quick"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    assert report["servers"] == ["mlexp"]
    results = report["results"]["mlexp"]
    assert set(results) == EXPECTED_KEYS
    assert report["ratios"] == {}
    assert 0 < results["startup"]["seconds"] <= results["startup_first_api"]["seconds"]
    for key in EXPECTED_KEYS - {"startup", "startup_first_api", "search_page_all", "artifact_put", "artifact_get"}:
        assert results[key]["ops"] >= 1, key
        assert results[key]["errors"] == 0, (key, results[key].get("first_error"))
    for key in ("search_filtered_c1", "search_filtered_c8", "search_page_all", "metric_history"):
        assert results[key]["results_ok"] is True, key
    assert results["artifact_put"]["mb"] == results["artifact_get"]["mb"] > 0
    assert "startup" in done.stdout and "artifact_get" in done.stdout  # the table, before the JSON
