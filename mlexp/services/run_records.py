"""Runs as plain records for reading: fetched as rows in bulk, no ORM objects.

Search pages carry up to 50,000 runs with all their params, tags and metrics; building ORM
objects for them costs more than the query itself, so reads go through here.
"""
from sqlalchemy import select

from mlexp.domain import DatasetInputRecord, MetricValue, RunRecord
from mlexp.extensions import db
from mlexp.models import (Dataset, InputTag, Run, RunInput, RunModelLink)

INFO_COLUMNS = (Run.id, Run.uuid, Run.experiment_id, Run.iid, Run.name, Run.user_id, Run.status,
                Run.start_time, Run.end_time, Run.lifecycle_stage)
_IN_CHUNK = 5000


def _rows(session, sql: str, ids: list[int]) -> list[tuple]:
    """Run `sql` (with one `{ids}` slot) for these run ids straight on the DB-API cursor.

    These three reads move ~20 rows per run; SQLAlchemy's per-row processing cost more than
    SQLite's work, so they skip it. Placeholders follow the driver's paramstyle.
    """
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    return connection.exec_driver_sql(sql.format(ids=",".join([marker] * len(ids))), tuple(ids)).all()


def load_records(info_rows) -> list[RunRecord]:
    """Records for rows of INFO_COLUMNS, in the same order, with their data attached."""
    records = [RunRecord(*row[: len(INFO_COLUMNS)]) for row in info_rows]
    by_id = {r.id: r for r in records}
    ids = list(by_id)
    session = db.session
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        for run_id, key, value in _rows(
                session, "SELECT run_id, key, value FROM params WHERE run_id IN ({ids})", chunk):
            by_id[run_id].params.append((key, value))
        for run_id, key, value in _rows(
                session, "SELECT run_id, key, value FROM run_tags WHERE run_id IN ({ids})", chunk):
            by_id[run_id].tags.append((key, value))
        # SQLite stores a REAL -0.0 as the integer 0; value_json keeps the sign MLflow answers.
        for run_id, key, value, value_json, is_nan, timestamp, step in _rows(
                session, "SELECT run_id, key, value, value_json, is_nan, timestamp, step "
                         "FROM latest_metrics WHERE run_id IN ({ids})", chunk):
            value = -0.0 if value_json == "-0.0" else value
            by_id[run_id].metrics.append(MetricValue(key, value, bool(is_nan), timestamp, step))
        _attach_inputs(session, by_id, chunk)
    return records


def _attach_inputs(session, by_id: dict, chunk: list[int]) -> None:
    for run_id, model_id, direction, step in session.execute(
            select(RunModelLink.run_id, RunModelLink.model_id, RunModelLink.direction,
                   RunModelLink.step).where(RunModelLink.run_id.in_(chunk))
            .order_by(RunModelLink.run_id, RunModelLink.step, RunModelLink.model_id)):
        if direction == "input":
            by_id[run_id].model_inputs.append(model_id)
        else:
            by_id[run_id].model_outputs.append((model_id, step))
    inputs = {}
    for input_id, run_id, *dataset in session.execute(
            select(RunInput.id, RunInput.run_id, Dataset.name, Dataset.digest, Dataset.source_type,
                   Dataset.source, Dataset.schema, Dataset.profile)
            .join(Dataset, Dataset.id == RunInput.dataset_id)
            .where(RunInput.run_id.in_(chunk)).order_by(RunInput.run_id, RunInput.id)):
        inputs[input_id] = DatasetInputRecord(*dataset)
        by_id[run_id].inputs.append(inputs[input_id])
    if inputs:
        for input_id, key, value in session.execute(
                select(InputTag.input_id, InputTag.key, InputTag.value)
                .where(InputTag.input_id.in_(list(inputs))).order_by(InputTag.input_id, InputTag.key)):
            inputs[input_id].tags.append((key, value))


def load_record(run_id: str) -> RunRecord | None:
    row = db.session.execute(select(*INFO_COLUMNS).where(Run.uuid == run_id)).first()
    return load_records([row])[0] if row else None
