"""A realistic sample for an empty instance, so every page shows something."""

import json
import math
import random
import struct
import zlib

from sqlalchemy import func, select

from mlexp import names
from mlexp.domain import MetricPoint
from mlexp.errors import InvalidParameter
from mlexp.extensions import db
from mlexp.models import Run
from mlexp.services import experiments, run_data, runs
from mlexp.services.artifacts import store


def _png(width: int, height: int, pixel) -> bytes:
    """A truecolor PNG; pixel(x, y) -> (r, g, b)."""
    raw = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _save(experiment_id: int, iid: int, path: str, data: bytes) -> None:
    store().save(f"{names.run_path(experiment_id, iid)}/{path}", [data])


def fill_demo(seed: int = 7) -> dict:
    """Create the sample experiments and runs.

    Raises:
        InvalidParameter: the instance already holds runs.
    """
    if db.session.scalar(select(func.count(Run.id))):
        raise InvalidParameter("The demo fills an empty instance only; this one already has runs")
    rng = random.Random(seed)
    start = 1_767_000_000_000
    made = {"experiments": 0, "runs": 0}
    plans = [("image-classifier", ["resnet18", "resnet50", "vit-small"], 12),
             ("churn-model", ["xgboost", "logreg"], 10),
             ("sweep-lr", ["mlp"], 8)]
    for name, archs, count in plans:
        experiment = experiments.create_experiment(name, [{"key": "team", "value": "ml-platform"}])
        made["experiments"] += 1
        parent = None
        for index in range(count):
            arch, lr = rng.choice(archs), rng.choice(["0.1", "0.03", "0.01", "0.003"])
            tags = [{"key": "mlflow.user", "value": rng.choice(["ada", "grace", "alan"])},
                    {"key": "gitlab.CI_JOB_ID", "value": str(4000 + index)},
                    {"key": "gitlab.CI_PIPELINE_ID", "value": str(900 + index // 4)},
                    {"key": "gitlab.CI_PROJECT_URL", "value": "https://gitlab.example.com/ml/" + name},
                    {"key": "gitlab.CI_MERGE_REQUEST_IID", "value": str(10 + index // 6)}]
            if name == "sweep-lr" and parent is not None:
                tags.append({"key": "mlflow.parentRunId", "value": parent.uuid})
            run = runs.create_run(str(experiment.id), run_name=f"{arch}-{index + 1}",
                                  start_time=start + index * 3_600_000, tags=tags)
            if name == "sweep-lr" and parent is None:
                parent = run
            rate, floor = float(lr), rng.uniform(0.05, 0.3)
            points = []
            for step in range(60):
                loss = floor + (1.5 - floor) * math.exp(-rate * 30 * step / 60) + rng.uniform(0, 0.03)
                points += [MetricPoint("loss", loss, start + step * 1000, step),
                           MetricPoint("accuracy", 1 - loss / 2, start + step * 1000, step)]
            for offset in range(0, len(points), 1000):
                run_data.log_batch(run.uuid, metrics=points[offset:offset + 1000])
            run_data.log_batch(run.uuid, params=[{"key": "arch", "value": arch}, {"key": "lr", "value": lr},
                                                 {"key": "epochs", "value": "60"}],
                               metrics=[MetricPoint("f1", rng.uniform(0.6, 0.95), start, 0)])
            runs.update_run(run.uuid, status=rng.choice(["FINISHED"] * 5 + ["FAILED"]),
                            end_time=start + index * 3_600_000 + rng.randint(60_000, 3_000_000))
            if index < 3:
                shade = rng.randint(60, 200)
                _save(experiment.id, run.iid, "plots/confusion.png",
                      _png(48, 48, lambda x, y: (shade, (x * 5) % 256, (y * 5) % 256)))
                _save(experiment.id, run.iid, "metrics.csv",
                      "step,loss\n".encode() + "".join(f"{p.step},{p.value:.4f}\n" for p in points[:20:2]).encode())
                _save(experiment.id, run.iid, "config.json", json.dumps({"arch": arch, "lr": lr}, indent=2).encode())
                _save(experiment.id, run.iid, "notes.txt", f"{arch} trained for 60 steps.\n".encode())
            made["runs"] += 1
    return made



