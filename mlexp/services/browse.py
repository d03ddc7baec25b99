"""Reads that pages need beyond the MLflow API: summaries, column keys, runs by IID."""
from dataclasses import dataclass

from sqlalchemy import func, select

from mlexp.errors import NotFound
from mlexp.extensions import db
from mlexp.models import ACTIVE, DELETED, Experiment, ExperimentKey, Run, RunTag
from mlexp.storage.portable_sql import greatest
from mlexp.services.experiments import get_experiment
from mlexp.domain import RunRecord
from mlexp.services.run_records import load_record
from mlexp.validation import parse_id

PAGE_SIZE = 25
SORTS = {"name", "runs", "creator", "last_activity"}


@dataclass(frozen=True)
class ExperimentSummary:
    experiment: Experiment
    run_count: int
    creator: str | None
    last_activity: int


def experiment_summaries(*, deleted: bool, name_query: str, sort: str, descending: bool,
                         page: int) -> tuple[list[ExperimentSummary], int, int]:
    """One page of experiments with run counts, creator (first run's user) and last activity,
    the total, and the page shown: `page` kept between the first and the last page."""
    run_count = (select(func.count(Run.id)).where(Run.experiment_id == Experiment.id,
                                                  Run.lifecycle_stage == ACTIVE).scalar_subquery())
    creator = (select(Run.user_id).where(Run.experiment_id == Experiment.id)
               .order_by(Run.iid).limit(1).scalar_subquery())
    newest_run = (select(func.max(func.coalesce(Run.end_time, Run.start_time)))
                  .where(Run.experiment_id == Experiment.id).scalar_subquery())
    last_activity = greatest(Experiment.last_update_time, func.coalesce(newest_run, 0))
    query = select(Experiment, run_count, creator, last_activity).where(
        Experiment.lifecycle_stage == (DELETED if deleted else ACTIVE))
    if name_query:
        query = query.where(func.lower(Experiment.name).contains(name_query.lower(), autoescape=True))
    column = {"name": func.lower(Experiment.name), "runs": run_count, "creator": creator,
              "last_activity": last_activity}.get(sort, last_activity)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = min(max(1, page), max(1, -(-total // PAGE_SIZE)))
    rows = db.session.execute(query.order_by(column.desc() if descending else column.asc(),
                                             Experiment.id.asc())
                              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return [ExperimentSummary(e, n or 0, c, a) for e, n, c, a in rows], total, page


def column_keys(experiment_id: int) -> tuple[list[str], list[str]]:
    """The param and metric keys ever logged in the experiment, sorted."""
    rows = db.session.execute(select(ExperimentKey.kind, ExperimentKey.key)
                              .where(ExperimentKey.experiment_id == experiment_id)
                              .order_by(ExperimentKey.key)).all()
    return [k for kind, k in rows if kind == "param"], [k for kind, k in rows if kind == "metric"]


def run_by_iid(experiment_id: str | int, iid: int | str) -> tuple[Experiment, RunRecord]:
    """Raises: NotFound for an unknown experiment or IID."""
    experiment = get_experiment(experiment_id)
    number = parse_id(iid)
    run_id = None if number is None else db.session.scalar(
        select(Run.uuid).where(Run.experiment_id == experiment.id, Run.iid == number))
    if run_id is None:
        raise NotFound(f"Experiment {experiment.name!r} has no run {iid}")
    return experiment, load_record(run_id)


def related_runs(record: RunRecord) -> tuple[Run | None, list[Run]]:
    """The run's parent and children, through MLflow's mlflow.parentRunId tag."""
    parent_id = dict(record.tags).get("mlflow.parentRunId")
    parent = db.session.scalar(select(Run).where(Run.uuid == parent_id)) if parent_id else None
    children = list(db.session.scalars(
        select(Run).join(RunTag, RunTag.run_id == Run.id)
        .where(RunTag.key == "mlflow.parentRunId", RunTag.value == record.uuid).order_by(Run.iid)))
    return parent, children



