"""Runs: create, read, update, soft-delete, restore and search."""
import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from mlexp.clock import now_ms
from mlexp.errors import InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ACTIVE, DELETED, Experiment, Run, RunTag
from mlexp.names import generate_run_name
from mlexp.search.filter import parse_run_filter
from mlexp.search.order_by import parse_run_order_by
from mlexp.search.paging import decode_page_token, encode_page_token, validate_max_results
from mlexp.search.sql import run_condition, run_order_clauses
from mlexp.services.experiments import (VIEW_TYPES, get_experiment, parse_experiment_id,
                                        require_active_experiment)
from mlexp.services.transaction import write_transaction
from mlexp.validation import validate_run_name, validate_status, validate_tag

RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
MAX_RUNS_PER_PAGE = 50_000

_WITH_DATA = (selectinload(Run.params), selectinload(Run.tags), selectinload(Run.latest_metrics))


def get_run_row(run_id: str, *, with_data: bool = False) -> Run:
    """The run in any lifecycle stage; its data is loaded eagerly only when asked for.

    Raises:
        NotFound: no run has this id.
    """
    query = select(Run).where(Run.uuid == run_id)
    if with_data:
        query = query.options(*_WITH_DATA)
    run = db.session.scalar(query)
    if run is None:
        raise NotFound(f"Run with id={run_id} not found")
    return run


def get_run(run_id: str) -> Run:
    """The run with its params, tags and latest metrics loaded.

    Raises:
        NotFound: no run has this id.
    """
    return get_run_row(run_id, with_data=True)


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
               tags: list[dict] | None = None) -> Run:
    """Start a RUNNING run with the next IID of its experiment.

    Raises:
        NotFound: no such experiment.
        InvalidParameter: the experiment is deleted, or bad tags or name.
    """
    tag_list = tags or []
    for tag in tag_list:
        validate_tag(tag["key"], tag["value"])
    tag_values = {t["key"]: t["value"] for t in tag_list}
    name = _resolve_run_name(run_name, tag_values)
    validate_run_name(name)
    tag_values[RUN_NAME_TAG] = name
    with write_transaction() as session:
        experiment = get_experiment(experiment_id or "0")
        require_active_experiment(experiment)
        iid = session.scalar(
            update(Experiment).where(Experiment.id == experiment.id)
            .values(last_run_iid=Experiment.last_run_iid + 1)
            .returning(Experiment.last_run_iid)
        )
        run = Run(
            uuid=uuid.uuid4().hex, experiment_id=experiment.id, iid=iid, name=name,
            user_id=user_id or tag_values.get(USER_TAG, ""), status="RUNNING",
            start_time=start_time if start_time is not None else now_ms(),
            lifecycle_stage=ACTIVE,
        )
        run.tags = [RunTag(key=k, value=v) for k, v in sorted(tag_values.items())]
        run.params, run.latest_metrics = [], []
        session.add(run)
    return run


def update_run(run_id: str, *, status: str | None = None, end_time: int | None = None,
               run_name: str | None = None) -> Run:
    """Change status, end time or name; the name tag follows the name.

    Raises:
        NotFound, InvalidParameter (deleted run, unknown status, over-long name).
    """
    if status is not None:
        validate_status(status)
    if run_name:
        validate_run_name(run_name)
    with write_transaction() as session:
        run = get_active_run(run_id)
        if status is not None:
            run.status = status
        if end_time is not None:
            run.end_time = end_time
        if run_name:
            run.name = run_name
            session.merge(RunTag(run_id=run.id, key=RUN_NAME_TAG, value=run_name))
    return run


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


def search_runs(experiment_ids: list[str], *, filter_string: str | None = None,
                run_view_type: str = "ACTIVE_ONLY", max_results: int | None = None,
                order_by: list[str] | None = None,
                page_token: str | None = None) -> tuple[list[Run], str | None]:
    """One page of runs, with their data, and the next page's token if there is one.

    Raises:
        InvalidParameter: bad filter, order_by, page size, token or experiment id.
    """
    ids = []
    for experiment_id in experiment_ids:
        try:
            ids.append(parse_experiment_id(experiment_id))
        except NotFound as exc:
            raise InvalidParameter(f"Invalid experiment id {experiment_id!r}") from exc
    conditions = [run_condition(c) for c in parse_run_filter(filter_string)]
    ordering = run_order_clauses(parse_run_order_by(order_by))
    limit = validate_max_results(max_results, default=1000, limit=MAX_RUNS_PER_PAGE)
    offset = decode_page_token(page_token)
    if not ids:
        return [], None
    query = (select(Run).options(*_WITH_DATA)
             .where(Run.experiment_id.in_(ids), Run.lifecycle_stage.in_(VIEW_TYPES[run_view_type]),
                    *conditions)
             .order_by(*ordering).offset(offset).limit(limit + 1))
    rows = list(db.session.scalars(query))
    next_token = encode_page_token(offset + limit) if len(rows) > limit else None
    return rows[:limit], next_token

