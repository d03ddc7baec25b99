"""What a run records: metrics, params and tags, written in bulk and all-or-nothing."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from mlexp.domain import MetricPoint
from mlexp.errors import InvalidParameter, NotFound
from mlexp.models import (ACTIVE, Experiment, ExperimentKey, LatestMetric, LoggedModel, Metric, Param,
                          Run, RunTag)
from mlexp.services.runs import RUN_NAME_TAG, get_active_run
from mlexp.services.transaction import write_transaction
from mlexp.validation import (duplicate_keys, validate_batch_sizes, validate_key, validate_param,
                              validate_tag)


@functools.cache
def _statements(dialect_name: str) -> dict:
    """The write statements, built once per dialect: building them cost more than running them.

    Core statements on the tables (not ORM bulk inserts), with the dialect's ON CONFLICT
    (SQLite and PostgreSQL share the API).
    """
    insert = (postgresql if dialect_name == "postgresql" else sqlite).insert
    latest = insert(LatestMetric.__table__)
    latest = latest.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={c: latest.excluded[c] for c in ("value", "value_json", "is_nan", "timestamp", "step")},
        where=tuple_(latest.excluded.step, latest.excluded.timestamp, latest.excluded.value)
        > tuple_(LatestMetric.__table__.c.step, LatestMetric.__table__.c.timestamp,
                 LatestMetric.__table__.c.value),
    )
    tags = insert(RunTag.__table__)
    return {
        "metrics": insert(Metric.__table__).on_conflict_do_nothing(),
        "latest": latest,
        "params": insert(Param.__table__),
        "tags": tags.on_conflict_do_update(index_elements=["run_id", "key"],
                                           set_={"value": tags.excluded.value}),
        "keys": insert(ExperimentKey.__table__).on_conflict_do_nothing(),
    }


def _execute(session, name: str, rows: list[dict]) -> None:
    connection = session.connection()
    connection.execute(_statements(connection.dialect.name)[name], rows)


def _metric_row(run: RunRef, point: MetricPoint) -> dict:
    is_nan = math.isnan(point.value)
    return {"run_id": run.id, "key": point.key, "value": 0.0 if is_nan else point.value,
            "is_nan": is_nan, "timestamp": point.timestamp, "step": point.step,
            "model_id": point.model_id, "dataset_name": point.dataset_name,
            "dataset_digest": point.dataset_digest}


def _write_metrics(session, run: RunRef, metrics: list[MetricPoint]) -> None:
    rows = [_metric_row(run, m) for m in metrics]
    _execute(session, "metrics", rows)
    # The latest value per key: largest (step, timestamp, value), as MLflow picks it.
    newest: dict[str, dict] = {}
    for row in rows:
        current = newest.get(row["key"])
        if current is None or _rank(row) > _rank(current):
            newest[row["key"]] = row
    latest_columns = ("run_id", "key", "value", "is_nan", "timestamp", "step")
    _execute(session, "latest", [{**{c: row[c] for c in latest_columns},
                                  "value_json": value_json(row["value"])} for row in newest.values()])


@dataclass(frozen=True)
class RunRef:
    """What logging needs to know of a run, read in one query without building ORM objects."""

    id: int
    uuid: str
    experiment_id: int


def _writable_run(session, run_id: str) -> RunRef:
    """Raises: NotFound; InvalidParameter when the run or its experiment is deleted."""
    row = session.execute(
        select(Run.id, Run.uuid, Run.experiment_id, Run.lifecycle_stage, Experiment.lifecycle_stage)
        .join(Experiment, Experiment.id == Run.experiment_id).where(Run.uuid == run_id)).first()
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    if row[3] != ACTIVE or row[4] != ACTIVE:
        get_active_run(run_id)  # raises the precise message for the run or its experiment
    return RunRef(row[0], row[1], row[2])


def _check_models_exist(session, model_ids: set[str]) -> None:
    """Raises: NotFound when a metric names a logged model that does not exist."""
    if not model_ids:
        return
    found = set(session.scalars(select(LoggedModel.model_id).where(LoggedModel.model_id.in_(model_ids))))
    missing = sorted(model_ids - found)
    if missing:
        raise NotFound(f"Logged model with ID '{missing[0]}' not found.")


def _remember_keys(session, run: RunRef, kind: str, keys) -> None:
    """Record the experiment's column keys as they are first logged (cheap to read back)."""
    rows = [{"experiment_id": run.experiment_id, "kind": kind, "key": k} for k in set(keys)]
    if rows:
        _execute(session, "keys", rows)


def value_json(value: float) -> str | None:
    """A finite double as JSON text, exactly (Python's shortest round-trip form)."""
    return repr(value) if math.isfinite(value) else None


def _rank(row: dict) -> tuple:
    return (row["step"], row["timestamp"], row["value"])


def _write_params(session, run: RunRef, params: list[dict]) -> None:
    """Insert new params; re-logging the same value is fine, a different one is refused."""
    wanted = {p["key"]: p["value"] for p in params}
    existing = dict(session.execute(
        select(Param.key, Param.value).where(Param.run_id == run.id, Param.key.in_(wanted))
    ).all())
    changed = {k: (v, wanted[k]) for k, v in existing.items() if v != wanted[k]}
    if changed:
        key, (old, new) = next(iter(changed.items()))
        raise InvalidParameter(
            f"Changing param values is not allowed. Param with key='{key}' was already logged "
            f"with value='{old}' for run ID='{run.uuid}'. Attempted logging new value '{new}'."
        )
    rows = [{"run_id": run.id, "key": k, "value": v} for k, v in wanted.items() if k not in existing]
    if rows:
        _execute(session, "params", rows)


def _write_tags(session, run: RunRef, tags: list[dict]) -> None:
    """Upsert tags; the last value for a key wins, and mlflow.runName renames the run."""
    latest = {t["key"]: t["value"] for t in tags}
    _execute(session, "tags", [{"run_id": run.id, "key": k, "value": v} for k, v in latest.items()])
    if RUN_NAME_TAG in latest:
        session.execute(update(Run).where(Run.id == run.id).values(name=latest[RUN_NAME_TAG]))


def log_batch(run_id: str, *, metrics: list[MetricPoint] = (), params: list[dict] = (),
              tags: list[dict] = ()) -> None:
    """Log metrics, params and tags together: everything lands or nothing does.

    Raises:
        NotFound: no such run.
        InvalidParameter: a limit, a key or a value is bad, a param would change, or the run
            or its experiment is deleted.
    """
    validate_batch_sizes(len(metrics), len(params), len(tags))
    for metric in metrics:
        validate_key("metric", metric.key)
    for param in params:
        validate_param(param["key"], param["value"])
    for tag in tags:
        validate_tag(tag["key"], tag["value"])
    dupes = duplicate_keys([p["key"] for p in params])
    if dupes:
        raise InvalidParameter(
            f"Duplicate parameter keys have been submitted: {dupes}. Please ensure the request "
            "contains only one param value per param key."
        )
    with write_transaction() as session:
        run = _writable_run(session, run_id)
        if params:
            _write_params(session, run, list(params))
            _remember_keys(session, run, "param", (p["key"] for p in params))
        if tags:
            _write_tags(session, run, list(tags))
        if metrics:
            _check_models_exist(session, {m.model_id for m in metrics if m.model_id})
            _write_metrics(session, run, list(metrics))
            _remember_keys(session, run, "metric", (m.key for m in metrics))


def log_metric(run_id: str, metric: MetricPoint) -> None:
    """Raises: as log_batch."""
    log_batch(run_id, metrics=[metric])


def log_param(run_id: str, key: str, value: str) -> None:
    """Raises: as log_batch."""
    log_batch(run_id, params=[{"key": key, "value": value}])


def set_tag(run_id: str, key: str, value: str) -> None:
    """Raises: as log_batch."""
    log_batch(run_id, tags=[{"key": key, "value": value}])


def delete_tag(run_id: str, key: str) -> None:
    """Raises: NotFound for an unknown run or tag; InvalidParameter for a deleted run."""
    with write_transaction() as session:
        run = get_active_run(run_id)
        result = session.execute(delete(RunTag).where(RunTag.run_id == run.id, RunTag.key == key))
        if result.rowcount == 0:
            raise NotFound(f"No tag with name: {key} in run with id {run_id}")
