"""One write transaction (storage/transaction.py): compiled statements and the ORM session
work on one connection, commit together or not at all, and fail the same way."""
import sqlite3

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from mlexp.extensions import db
from mlexp.models import ExperimentTag, Param, Run
from mlexp.services.run_data import INSERT_PARAMS
from mlexp.storage.transaction import write_transaction
from tests import databases
from tests.conftest import Api


def _run_pk(run_id: str) -> int:
    return db.session.scalar(select(Run.id).where(Run.uuid == run_id))


def _landed(run_pk: int) -> tuple[list, list]:
    params = db.session.scalars(select(Param.key).where(Param.run_id == run_pk)).all()
    tags = db.session.scalars(select(ExperimentTag.key).where(ExperimentTag.experiment_id == 0)).all()
    return params, tags


def test_statements_and_orm_work_land_together_when_the_block_ends(app, run_id):
    with app.app_context():
        run_pk = _run_pk(run_id)
        with write_transaction() as tx:
            tx.run_many(INSERT_PARAMS, [{"run_id": run_pk, "key": "lr", "value": "0.1"}])
            tx.session.add(ExperimentTag(experiment_id=0, key="note", value="x"))
        assert _landed(run_pk) == (["lr"], ["note"])


def test_nothing_lands_when_the_block_raises(app, run_id):
    with app.app_context():
        run_pk = _run_pk(run_id)
        with pytest.raises(RuntimeError), write_transaction() as tx:
            tx.run_many(INSERT_PARAMS, [{"run_id": run_pk, "key": "lr", "value": "0.1"}])
            tx.session.add(ExperimentTag(experiment_id=0, key="note", value="x"))
            tx.session.flush()
            raise RuntimeError("stop")
        assert _landed(run_pk) == ([], [])


def test_the_session_reads_the_statements_rows_when_inside_the_transaction(app, run_id):
    with app.app_context():
        run_pk = _run_pk(run_id)  # the session has read already: its reads end at the start
        with write_transaction() as tx:
            tx.run_many(INSERT_PARAMS, [{"run_id": run_pk, "key": "lr", "value": "0.1"}])
            seen = db.session.scalars(select(Param.value).where(Param.run_id == run_pk)).all()
        assert seen == ["0.1"]


def test_a_statements_database_error_is_sqlalchemys_and_rolls_back_when_raised(app, run_id):
    with app.app_context():
        run_pk = _run_pk(run_id)
        row = {"run_id": run_pk, "key": "lr", "value": "0.1"}
        with pytest.raises(IntegrityError), write_transaction() as tx:
            tx.session.add(ExperimentTag(experiment_id=0, key="note", value="x"))
            tx.session.flush()
            tx.run_many(INSERT_PARAMS, [row])
            tx.run_many(INSERT_PARAMS, [row])
        assert _landed(run_pk) == ([], [])


@pytest.mark.sqlite_only
@pytest.mark.parametrize("path, body", [
    ("/runs/log-batch", {"params": [{"key": "long", "value": "v" * 1500}]}),
    ("/experiments/set-experiment-tag", {"key": "long", "value": "v" * 1500}),
], ids=["compiled-statements", "orm"])
def test_a_value_the_database_refuses_is_400_and_stores_nothing_when_written(app, api, run_id,
                                                                          experiment_id, path, body):
    """SQLite refuses a string longer than its length limit with a DataError, as PostgreSQL
    refuses values out of a column's range."""
    def limit(connection, _record):
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1200)

    with app.app_context():
        event.listen(db.engine, "connect", limit)
        db.engine.dispose()  # the next connections are made with the limit
    status, answer = api.post(path, {"run_id": run_id, "experiment_id": experiment_id, **body})
    assert (status, answer["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert answer["message"] == "A value cannot be stored: string or blob too big"
    with app.app_context():  # read back without the limit (a run's JSON, built by SQLite, is longer)
        event.remove(db.engine, "connect", limit)
        db.engine.dispose()
    run = api.ok_get("/runs/get", {"run_id": run_id})["run"]
    experiment = api.ok_get("/experiments/get", {"experiment_id": experiment_id})["experiment"]
    assert run["data"]["params"] == [] and experiment.get("tags", []) == []


@pytest.mark.sqlite_only
@pytest.mark.parametrize("path, body", [
    ("/runs/log-metric", {"key": "m", "value": 1.0, "timestamp": 1}),
    ("/runs/set-tag", {"key": "t", "value": "v"}),
    ("/runs/delete", {}),
], ids=["compiled-statements", "compiled-statements-flask", "orm"])
def test_a_write_is_503_when_another_process_holds_the_database_past_the_busy_timeout(
        tmp_path, path, body):
    app = databases.make_app(tmp_path / "busy", SQLITE_BUSY_TIMEOUT_MS=200)
    api = Api(app.test_client())
    run_id = api.create_run()["info"]["run_id"]
    with app.app_context():
        other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        status, answer = api.post(path, {"run_id": run_id, **body})
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert (status, answer["error_code"]) == (503, "TEMPORARILY_UNAVAILABLE")
    api.ok_post(path, {"run_id": run_id, **body})
    with app.app_context():
        db.engine.dispose()


def test_no_statement_runs_after_a_failed_flush_when_a_service_caught_its_error(app, run_id):
    """A failed flush rolls the whole transaction back; what follows must not land on its own."""
    with app.app_context():
        run_pk = _run_pk(run_id)
        with pytest.raises(PendingRollbackError), write_transaction() as tx:
            tx.session.add_all([ExperimentTag(experiment_id=0, key="dup", value="a"),
                                ExperimentTag(experiment_id=0, key="dup", value="b")])
            with pytest.raises(IntegrityError):
                tx.session.flush()
            tx.run_many(INSERT_PARAMS, [{"run_id": run_pk, "key": "lr", "value": "0.1"}])
        assert _landed(run_pk) == ([], [])
