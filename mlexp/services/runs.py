"""Runs: create, read, update, soft-delete, restore and search."""
import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, update

from mlexp.clock import now_ms
from mlexp.errors import InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ACTIVE, DELETED, Experiment, Run, RunTag
from mlexp.run_names import generate_run_name
from mlexp.search.filter import parse_run_filter
from mlexp.search.order_by import parse_run_order_by
from mlexp.search.paging import decode_keyset_token, encode_keyset_token
from mlexp.services import page_token_secret
from mlexp.search.sql import keyset_after, order_clauses, run_condition, run_sort
from mlexp.services.experiments import VIEW_TYPES, get_experiment, require_active_experiment
from mlexp.storage.prepared import Prepared
from mlexp.domain import RunRecord
from mlexp.services.run_records import INFO_COLUMNS, load_record, load_records
from mlexp.storage.transaction import WriteTransaction, write_transaction
from mlexp.validation import page_size, parse_experiment_id, validate_run_name, validate_tag

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"


@dataclass(frozen=True)
class RunRef:
    """What writing into a run needs to know of it, read in one query."""

    id: int
    uuid: str
    experiment_id: int


def insert_statement(dialect_name: str, table, columns):
    """The dialect's INSERT (with its ON CONFLICT) of named columns, each bound by its name."""
    if dialect_name == "postgresql":  # imported only there: the dialect costs ~80 ms to import
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table).values({c: bindparam(c) for c in columns})


def _tag_upsert(dialect_name: str):
    tags = insert_statement(dialect_name, RunTag.__table__, ("run_id", "key", "value"))
    return tags.on_conflict_do_update(index_elements=["run_id", "key"],
                                      set_={"value": tags.excluded.value})


# The write path's statements, compiled once (storage/prepared.py says why).
NEXT_IID = Prepared(
    update(Experiment).where(Experiment.id == bindparam("experiment_pk"))
    .values(last_run_iid=Experiment.last_run_iid + 1)
    .returning(Experiment.last_run_iid, Experiment.lifecycle_stage))
INSERT_RUN = Prepared(lambda d: insert_statement(d, Run.__table__, [c.key for c in INFO_COLUMNS[1:]])
                      .returning(Run.id))
INSERT_RUN_TAGS = Prepared(lambda d: insert_statement(d, RunTag.__table__, ("run_id", "key", "value")))
UPSERT_RUN_TAGS = Prepared(_tag_upsert)
WRITABLE_RUN = Prepared(
    select(Run.id, Run.uuid, Run.experiment_id, Run.lifecycle_stage, Experiment.lifecycle_stage)
    .join(Experiment, Experiment.id == Run.experiment_id).where(Run.uuid == bindparam("uuid")))
UPDATE_RUN = Prepared(
    update(Run).where(Run.id == bindparam("run_pk"))
    .values(status=func.coalesce(bindparam("new_status"), Run.status),
            end_time=func.coalesce(bindparam("new_end_time"), Run.end_time),
            name=func.coalesce(bindparam("new_name"), Run.name))
    .returning(*INFO_COLUMNS))


def get_run_row(run_id: str) -> Run:
    """The run's ORM row in any lifecycle stage, for changing it.

    Raises:
        NotFound: no run has this id.
    """
    run = db.session.scalar(select(Run).where(Run.uuid == run_id))
    if run is None:
        raise NotFound(f"Run with id={run_id} not found")
    return run


def get_run(run_id: str) -> RunRecord:
    """The run with its params, tags and latest metrics.

    Raises:
        NotFound: no run has this id.
    """
    record = load_record(run_id)
    if record is None:
        raise NotFound(f"Run with id={run_id} not found")
    return record


def get_active_run(run_id: str) -> Run:
    """A run that may be written to: it and its experiment are active.

    Raises:
        NotFound: no run has this id.
        InvalidParameter: the run or its experiment is deleted.
    """
    run = get_run_row(run_id)
    if run.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"The run {run_id} must be in the 'active' state. "
            f"Current state is {run.lifecycle_stage}."
        )
    require_active_experiment(run.experiment)
    return run


def _resolve_run_name(run_name: str | None, tags: dict[str, str]) -> str:
    tag_name = tags.get(RUN_NAME_TAG)
    if run_name and tag_name and run_name != tag_name:
        raise InvalidParameter(
            f"Both 'run_name' argument and '{RUN_NAME_TAG}' tag are specified, but with "
            f"different values (run_name='{run_name}', {RUN_NAME_TAG}='{tag_name}')."
        )
    return run_name or tag_name or generate_run_name()


def create_run(experiment_id: str | None, *, user_id: str | None = None,
               run_name: str | None = None, start_time: int | None = None,
               tags: list[dict] | None = None, user_is_authenticated: bool = False) -> RunRecord:
    """Start a RUNNING run with the next IID of its experiment.

    An authenticated user_id also replaces the client's `mlflow.user` tag, so the run names
    the token that made it rather than whatever the client machine's login was.

    Raises:
        NotFound: no such experiment.
        InvalidParameter: the experiment is deleted, its id is not an integer, or bad tags or name.
    """
    tag_list = tags or []
    for tag in tag_list:
        validate_tag(tag["key"], tag["value"])
    tag_values = {t["key"]: t["value"] for t in tag_list}
    name = _resolve_run_name(run_name, tag_values)
    validate_run_name(name)
    tag_values[RUN_NAME_TAG] = name
    if user_is_authenticated and user_id:
        tag_values[USER_TAG] = user_id
    experiment_pk = parse_experiment_id(experiment_id or "0")
    if experiment_pk is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    record = RunRecord(id=0, uuid=uuid.uuid4().hex, experiment_id=experiment_pk, iid=0, name=name,
                       user_id=user_id or tag_values.get(USER_TAG, ""), status="RUNNING",
                       start_time=start_time if start_time is not None else now_ms(),
                       end_time=None, lifecycle_stage=ACTIVE, tags=sorted(tag_values.items()))
    with write_transaction() as tx:
        row = tx.run(NEXT_IID, {"experiment_pk": experiment_pk}).fetchone()
        if row is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        record.iid, stage = row
        if stage != ACTIVE:
            require_active_experiment(get_experiment(str(experiment_pk)))
        record.id = tx.run(INSERT_RUN, {column.key: getattr(record, column.key)
                                        for column in INFO_COLUMNS[1:]}).fetchone()[0]
        tx.run_many(INSERT_RUN_TAGS, [{"run_id": record.id, "key": k, "value": v}
                                      for k, v in record.tags])
    return record


def writable_run(tx: WriteTransaction, run_id: str) -> RunRef:
    """The run to write into, inside a write transaction.

    Raises:
        NotFound: no run has this id.
        InvalidParameter: the run or its experiment is deleted.
    """
    row = tx.run(WRITABLE_RUN, {"uuid": run_id}).fetchone()
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    if row[3] != ACTIVE or row[4] != ACTIVE:
        get_active_run(run_id)  # raises the precise message for the run or its experiment
    return RunRef(row[0], row[1], row[2])


def update_run(run_id: str, *, status: str | None = None, end_time: int | None = None,
               run_name: str | None = None) -> RunRecord:
    """Change status (one of schemas.base.RUN_STATUS), end time or name; the name tag follows
    the name.

    Raises:
        NotFound, InvalidParameter (deleted run, over-long name).
    """
    if run_name:
        validate_run_name(run_name)
    with write_transaction() as tx:
        run = writable_run(tx, run_id)
        row = tx.run(UPDATE_RUN, {"run_pk": run.id, "new_status": status,
                                  "new_end_time": end_time, "new_name": run_name or None}).fetchone()
        if run_name:
            tx.run_many(UPSERT_RUN_TAGS, [{"run_id": run.id, "key": RUN_NAME_TAG, "value": run_name}])
    return RunRecord(*row)


def delete_run(run_id: str) -> None:
    """Raises: NotFound."""
    with write_transaction():
        run = get_run_row(run_id)
        run.lifecycle_stage = DELETED
        run.deleted_time = now_ms()


def restore_run(run_id: str) -> None:
    """Raises: NotFound; InvalidParameter when the run's experiment is deleted."""
    with write_transaction():
        run = get_run_row(run_id)
        if run.experiment.lifecycle_stage != ACTIVE:
            raise InvalidParameter(
                f"Cannot restore run {run_id}: its experiment {run.experiment_id} is deleted; "
                "restore the experiment first"
            )
        run.lifecycle_stage = ACTIVE
        run.deleted_time = None


def search_runs(experiment_ids: list[str], **search) -> tuple[list[RunRecord], str | None]:
    """One page of runs, with their data, and the next page's token if there is one.

    Takes search_run_ids's arguments. Raises: as search_run_ids.
    """
    rows, next_token = _search_page(INFO_COLUMNS, experiment_ids, **search)
    return load_records(rows), next_token


def search_run_ids(experiment_ids: list[str], **search) -> tuple[list[int], str | None]:
    """The internal ids of one page of runs, in order, for callers that render runs in bulk.

    Takes filter_string, run_view_type, max_results, order_by and page_token.
    Raises: InvalidParameter for a bad filter, order_by, page size, token or experiment id.
    """
    rows, next_token = _search_page((Run.id,), experiment_ids, **search)
    return [row[0] for row in rows], next_token


def _search_page(columns: tuple, experiment_ids: list[str], *, filter_string: str | None = None,
                 run_view_type: str = "ACTIVE_ONLY", max_results: int | None = None,
                 order_by: list[str] | None = None, page_token: str | None = None):
    """Rows of `columns` (plus sort values) for one page, and the next page's token.

    Pages are keyset-paged on the full sort order, so paging while runs are being created
    returns every run that existed at the start exactly once.
    """
    ids = []
    for experiment_id in experiment_ids:
        number = parse_experiment_id(experiment_id)
        if number is not None:  # other integers name no experiment: they match no runs
            ids.append(number)
    comparisons = parse_run_filter(filter_string)
    order_keys = parse_run_order_by(order_by)
    limit = page_size("runs", max_results)
    signature = _query_signature(ids, filter_string, run_view_type, order_by)
    after = decode_keyset_token(page_token, signature, secret=page_token_secret())
    if not ids:
        return [], None
    query = select(*columns).where(
        Run.experiment_id.in_(ids), Run.lifecycle_stage.in_(VIEW_TYPES[run_view_type]))
    query, components, comparisons = run_sort(query, order_keys, comparisons)
    query = query.where(*(run_condition(c) for c in comparisons))
    if after is not None:
        query = query.where(keyset_after(components, after))
    query = query.add_columns(*(c.expr for c in components))
    rows = db.session.execute(query.order_by(*order_clauses(components)).limit(limit + 1)).all()
    next_token = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_token = encode_keyset_token(list(rows[-1][len(columns):]), signature,
                                         secret=page_token_secret())
    return rows, next_token


def _query_signature(ids: list[int], filter_string, view_type: str, order_by) -> str:
    """Ties a page token to the search that made it."""
    text = json.dumps([sorted(ids), filter_string or "", view_type, list(order_by or [])])
    return hashlib.sha256(text.encode()).hexdigest()[:16]
