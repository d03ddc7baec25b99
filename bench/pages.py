"""Benchmark: server-side render time of the experiment page and of a heavy run page.

* experiment page of an experiment with 10,000 runs (10 params, 10 metrics each): the first
  50 runs with every param and metric column;
* run page of a run with five metrics of 100,000 points each (downsampled for the charts).
Pages are rendered in-process through Flask's test client (no network), median of --repeat.
Usage: python bench/pages.py [--runs 10000] [--points 100000] [--repeat 15]
"""
import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.search import populate  # noqa: E402
from mlexp import create_app, freeze_startup_objects  # noqa: E402
from mlexp.extensions import db  # noqa: E402
from mlexp.models import LatestMetric, Metric  # noqa: E402


def add_long_histories(app, run_id: int, metrics: int, points: int) -> None:
    with app.app_context():
        for m in range(metrics):
            rows = [{"run_id": run_id, "key": f"long{m}", "value": (i % 977) / 977.0, "is_nan": False,
                     "timestamp": 1_700_000_000_000 + i, "step": i} for i in range(points)]
            db.session.execute(db.insert(Metric), rows)
            db.session.execute(db.insert(LatestMetric), [rows[-1]])
        db.session.commit()


def median_ms(client, url: str, repeat: int) -> tuple[float, int]:
    client.get(url)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return statistics.median(timings) * 1000, len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        instance = os.path.join(work, "instance")
        experiment_id = populate(instance, args.runs)
        app = create_app({"ACCESS_LOG": False}, instance_path=instance)
        add_long_histories(app, 1, 5, args.points)
        gc.collect()  # the setup's garbage: app.py's start has next to none, this bench has plenty
        freeze_startup_objects()
        client = app.test_client()
        columns = "&".join([f"cols=params.p{i}" for i in range(10)] + [f"cols=metrics.m{i}" for i in range(10)])
        experiment_ms, experiment_bytes = median_ms(
            client, f"/experiments/{experiment_id}?{columns}&order=metrics.m0+DESC", args.repeat)
        run_ms, run_bytes = median_ms(client, f"/experiments/{experiment_id}/runs/1", args.repeat)
        result = {"runs": args.runs, "experiment_page_p50_ms": round(experiment_ms, 1),
                  "experiment_page_kb": round(experiment_bytes / 1000),
                  "run_page_5x_points": args.points, "run_page_p50_ms": round(run_ms, 1),
                  "run_page_kb": round(run_bytes / 1000)}
        print(f"{'experiment page, 50 of ' + str(args.runs) + ' runs, all columns':<46}{experiment_ms:>9.1f} ms"
              f"  ({result['experiment_page_kb']} kB)")
        print(f"{'run page, 5 metrics x ' + str(args.points) + ' points':<46}{run_ms:>9.1f} ms"
              f"  ({result['run_page_kb']} kB)")
        print(json.dumps(result))


if __name__ == "__main__":
    main()
