"""What a run records: metrics, params and tags, written in bulk and all-or-nothing."""
from __future__ import annotations

import math

from sqlalchemy import bindparam, select, tuple_, update

from mlexp.domain import MetricPoint
from mlexp.errors import InvalidParameter, NotFound
from mlexp.models import (ExperimentKey, LatestMetric, LoggedModel, Metric, Param,
                          Run, RunTag)
from mlexp.services.runs import (RUN_NAME_TAG, UPSERT_RUN_TAGS, RunRef, get_active_run,
                                 insert_statement, writable_run)
from mlexp.storage.prepared import Prepared
from mlexp.storage.transaction import WriteTransaction, delete_one, write_transaction
from mlexp.validation import (duplicate_keys, validate_batch_sizes, validate_key, validate_param,
                              validate_tag)


METRIC_COLUMNS = ("run_id", "key", "value", "is_nan", "timestamp", "step", "negative_zero",
                  "model_id", "dataset_name", "dataset_digest")
LATEST_COLUMNS = ("run_id", "key", "value", "value_json", "is_nan", "timestamp", "step")


def _latest_upsert(dialect_name: str):
    latest = insert_statement(dialect_name, LatestMetric.__table__, LATEST_COLUMNS)
    table = LatestMetric.__table__
    return latest.on_conflict_do_update(
        index_elements=["run_id", "key"],
        set_={c: latest.excluded[c] for c in ("value", "value_json", "is_nan", "timestamp", "step")},
        # The latest value per key: largest (step, timestamp, value), as MLflow picks it.
        where=tuple_(latest.excluded.step, latest.excluded.timestamp, latest.excluded.value)
        > tuple_(table.c.step, table.c.timestamp, table.c.value),
    )


INSERT_METRICS = Prepared(lambda d: insert_statement(d, Metric.__table__, METRIC_COLUMNS).on_conflict_do_nothing())
UPSERT_LATEST = Prepared(_latest_upsert)
INSERT_PARAMS = Prepared(lambda d: insert_statement(d, Param.__table__, ("run_id", "key", "value")))
INSERT_KEYS = Prepared(lambda d: insert_statement(d, ExperimentKey.__table__, ("experiment_id", "kind", "key"))
                       .on_conflict_do_nothing())
RENAME_RUN = Prepared(update(Run).where(Run.id == bindparam("run_pk")).values(name=bindparam("name")))


def _metric_row(run: RunRef, point: MetricPoint) -> dict:
    value = point.value
    is_nan = math.isnan(value)
    return {"run_id": run.id, "key": point.key, "value": 0.0 if is_nan else value,
            "is_nan": is_nan, "timestamp": point.timestamp, "step": point.step,
            "negative_zero": True if value == 0.0 and math.copysign(1.0, value) < 0 else None,
            "model_id": point.model_id, "dataset_name": point.dataset_name,
            "dataset_digest": point.dataset_digest}


def _write_metrics(tx: WriteTransaction, run: RunRef, metrics: list[MetricPoint]) -> None:
    rows = [_metric_row(run, m) for m in metrics]
    tx.run_many(INSERT_METRICS, rows)
    newest: dict[str, dict] = {}
    for row in rows:
        current = newest.get(row["key"])
        if current is None or _rank(row) > _rank(current):
            newest[row["key"]] = row
    tx.run_many(UPSERT_LATEST, [{**row, "value_json": value_json(row["value"])}
                                for row in newest.values()])


def _check_models_exist(tx: WriteTransaction, model_ids: set[str]) -> None:
    """Raises: NotFound when a metric names a logged model that does not exist."""
    if not model_ids:
        return
    found = {row[0] for row in tx.run_statement(
        select(LoggedModel.model_id).where(LoggedModel.model_id.in_(model_ids))).fetchall()}
    missing = sorted(model_ids - found)
    if missing:
        raise NotFound(f"Logged model with ID '{missing[0]}' not found.")


def _remember_keys(tx: WriteTransaction, run: RunRef, kind: str, keys) -> None:
    """Record the experiment's column keys as they are first logged (cheap to read back)."""
    tx.run_many(INSERT_KEYS, [{"experiment_id": run.experiment_id, "kind": kind, "key": k}
                              for k in set(keys)])


def value_json(value: float) -> str | None:
    """A finite double as JSON text, exactly (Python's shortest round-trip form)."""
    return repr(value) if math.isfinite(value) else None


def _rank(row: dict) -> tuple:
    return (row["step"], row["timestamp"], row["value"])


def _write_params(tx: WriteTransaction, run: RunRef, params: list[dict]) -> None:
    """Insert new params; re-logging the same value is fine, a different one is refused."""
    wanted = {p["key"]: p["value"] for p in params}
    existing = dict(tx.run_statement(
        select(Param.key, Param.value).where(Param.run_id == run.id, Param.key.in_(wanted))
    ).fetchall())
    changed = {k: (v, wanted[k]) for k, v in existing.items() if v != wanted[k]}
    if changed:
        key, (old, new) = next(iter(changed.items()))
        raise InvalidParameter(
            f"Changing param values is not allowed. Param with key='{key}' was already logged "
            f"with value='{old}' for run ID='{run.uuid}'. Attempted logging new value '{new}'."
        )
    tx.run_many(INSERT_PARAMS, [{"run_id": run.id, "key": k, "value": v}
                                for k, v in wanted.items() if k not in existing])


def _write_tags(tx: WriteTransaction, run: RunRef, tags: list[dict]) -> None:
    """Upsert tags; the last value for a key wins, and mlflow.runName renames the run."""
    latest = {t["key"]: t["value"] for t in tags}
    tx.run_many(UPSERT_RUN_TAGS, [{"run_id": run.id, "key": k, "value": v} for k, v in latest.items()])
    if RUN_NAME_TAG in latest:
        tx.run(RENAME_RUN, {"run_pk": run.id, "name": latest[RUN_NAME_TAG]})


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
    with write_transaction() as tx:
        run = writable_run(tx, run_id)
        if params:
            _write_params(tx, run, list(params))
            _remember_keys(tx, run, "param", (p["key"] for p in params))
        if tags:
            _write_tags(tx, run, list(tags))
        if metrics:
            _check_models_exist(tx, {m.model_id for m in metrics if m.model_id})
            _write_metrics(tx, run, list(metrics))
            _remember_keys(tx, run, "metric", (m.key for m in metrics))


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
    with write_transaction() as tx:
        run = get_active_run(run_id)
        delete_one(tx.session, RunTag, RunTag.run_id == run.id, RunTag.key == key,
                   missing=f"No tag with name: {key} in run with id {run_id}")
