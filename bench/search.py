"""Benchmark: search runs in an experiment of 10,000 runs (10 params and 10 metrics each).

Fills a fresh instance directly through the models (fast), starts the server on a free
loopback port, then times over HTTP, as the MLflow client sends it:
  * the filtered query `metrics.m0 > 0.5 and params.p1 = 'a'` ordered by metrics.m0 DESC,
    first 100 results (median of --repeat calls, new connection each);
  * paging through all runs, 1,000 per page: in all, and the part until each response's last
    byte arrived (the rest is the client decoding ~14 MB of JSON, as the MLflow client must too).
Usage: python bench/search.py [--runs 10000] [--repeat 20]
"""
import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.artifacts import start_server  # noqa: E402
from mlexp import create_app  # noqa: E402
from mlexp.extensions import db  # noqa: E402
from mlexp.models import (Experiment, ExperimentKey, LatestMetric, Metric, Param, Run,  # noqa: E402
                          RunTag)


def populate(instance: str, runs: int) -> str:
    """Create one experiment with `runs` finished runs; returns its id."""
    app = create_app({"ACCESS_LOG": False}, instance_path=instance)
    rng = random.Random(42)
    with app.app_context():
        experiment = Experiment(name="search-bench", last_run_iid=runs)
        db.session.add(experiment)
        db.session.flush()
        run_rows, param_rows, metric_rows, tag_rows = [], [], [], []
        start = 1_700_000_000_000
        for iid in range(1, runs + 1):
            run_rows.append({"id": iid, "uuid": uuid.UUID(int=rng.getrandbits(128)).hex,
                             "experiment_id": experiment.id, "iid": iid, "name": f"run-{iid}",
                             "user_id": "bench", "status": "FINISHED", "start_time": start + iid,
                             "end_time": start + iid + 1000, "lifecycle_stage": "active"})
            tag_rows.append({"run_id": iid, "key": "mlflow.runName", "value": f"run-{iid}"})
            for p in range(10):
                param_rows.append({"run_id": iid, "key": f"p{p}", "value": rng.choice("abcd")})
            for m in range(10):
                metric_rows.append({"run_id": iid, "key": f"m{m}", "value": rng.random(),
                                    "is_nan": False, "timestamp": start + iid, "step": 0})
        session = db.session
        session.execute(db.insert(Run), run_rows)
        session.execute(db.insert(RunTag), tag_rows)
        session.execute(db.insert(Param), param_rows)
        session.execute(db.insert(Metric), metric_rows)
        session.execute(db.insert(LatestMetric), [{**row, "value_json": repr(row["value"])}
                                                   for row in metric_rows])
        session.execute(db.insert(ExperimentKey), [
            {"experiment_id": experiment.id, "kind": kind, "key": f"{kind[0]}{i}"}
            for kind in ("param", "metric") for i in range(10)])
        session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        return str(experiment.id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        instance = os.path.join(work, "instance")
        experiment_id = populate(instance, args.runs)
        process, url = start_server(instance)
        try:
            search = url + "/api/2.0/mlflow/runs/search"
            body = {"experiment_ids": [experiment_id], "filter": "metrics.m0 > 0.5 and params.p1 = 'a'",
                    "order_by": ["metrics.m0 DESC"], "max_results": 100}
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                found = requests.post(search, json=body).json()["runs"]
                timings.append(time.perf_counter() - started)
            values = [next(m["value"] for m in r["data"]["metrics"] if m["key"] == "m0") for r in found]
            if values != sorted(values, reverse=True) or len(found) != 100:
                raise SystemExit("filtered search returned wrong results")

            started = time.perf_counter()
            seen, token, wire_seconds = set(), None, 0.0
            while True:
                sent = time.perf_counter()
                response = requests.post(search, json={"experiment_ids": [experiment_id], "max_results": 1000,
                                                       **({"page_token": token} if token else {})})
                wire_seconds += time.perf_counter() - sent
                page = response.json()
                seen.update(r["info"]["run_id"] for r in page.get("runs", []))
                token = page.get("next_page_token")
                if not token:
                    break
            paging_seconds = time.perf_counter() - started
            if len(seen) != args.runs:
                raise SystemExit(f"paging saw {len(seen)} runs, expected {args.runs}")

            result = {"runs": args.runs,
                      "filtered_search_p50_ms": round(statistics.median(timings) * 1000, 1),
                      "filtered_search_p99_ms": round(max(timings) * 1000, 1),
                      "page_all_seconds": round(paging_seconds, 3),
                      "page_all_to_last_byte_seconds": round(wire_seconds, 3)}
            print(f"{'runs in experiment':<34}{args.runs:>10}")
            print(f"{'filtered search, first 100 (p50)':<34}{result['filtered_search_p50_ms']:>10.1f} ms")
            print(f"{'filtered search (max)':<34}{result['filtered_search_p99_ms']:>10.1f} ms")
            print(f"{'page through all, 1000 per page':<34}{result['page_all_seconds']:>10.3f} s")
            print(f"{'  of which server, to last byte':<34}{result['page_all_to_last_byte_seconds']:>10.3f} s")
            print(json.dumps(result))
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
