"""Experiments: create, find, rename, tag, soft-delete and restore."""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from mlexp import names
from mlexp.clock import now_ms
from mlexp.errors import AlreadyExists, InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ACTIVE, DELETED, Experiment, ExperimentTag, Run
from mlexp.search.filter import parse_experiment_filter
from mlexp.search.order_by import parse_experiment_order_by
from mlexp.search.paging import decode_page_token, encode_page_token
from mlexp.services import page_token_secret
from mlexp.search.sql import experiment_condition, experiment_order_clauses
from mlexp.storage.transaction import write_transaction
from mlexp.validation import (duplicate_keys, page_size, parse_experiment_id,
                              validate_experiment_name, validate_experiment_tag)

VIEW_TYPES = {"ACTIVE_ONLY": (ACTIVE,), "DELETED_ONLY": (DELETED,), "ALL": (ACTIVE, DELETED)}


def get_experiment(experiment_id: str | int) -> Experiment:
    """Raises: NotFound; InvalidParameter for an id that is not an integer."""
    number = parse_experiment_id(experiment_id)
    experiment = None if number is None else db.session.get(Experiment, number)
    if experiment is None:
        raise NotFound(f"No Experiment with id={experiment_id} exists")
    return experiment


def get_experiment_by_name(name: str) -> Experiment:
    """Raises: NotFound."""
    experiment = db.session.scalar(select(Experiment).where(Experiment.name == name))
    if experiment is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return experiment


def _check_name_free(name: str) -> None:
    existing = db.session.scalar(select(Experiment).where(Experiment.name == name))
    if existing is not None:
        state = " in deleted state; restore it or choose another name" if \
            existing.lifecycle_stage == DELETED else ""
        raise AlreadyExists(f"Experiment(name={name}) already exists{state}")


def create_experiment(name: str, tags: list[dict] | None = None,
                      artifact_location: str | None = None) -> Experiment:
    """Create an active experiment whose artifacts go to its own package.

    Raises:
        AlreadyExists: the name is taken, also by a deleted experiment.
        InvalidParameter: bad name, tags, or an artifact location other than the package.
    """
    validate_experiment_name(name)
    for tag in tags or []:
        validate_experiment_tag(tag["key"], tag["value"])
    dupes = duplicate_keys([t["key"] for t in tags or []])
    if dupes:
        raise InvalidParameter(f"Duplicate experiment tag keys: {dupes}; give each key once")
    if artifact_location:
        raise InvalidParameter(
            "artifact_location cannot be chosen: mlexp stores every experiment's artifacts as "
            f"the package {names.package_name('<id>')} on this server"
        )
    with write_transaction() as tx:
        _check_name_free(name)
        experiment = Experiment(name=name)
        experiment.tags = [ExperimentTag(key=t["key"], value=t["value"]) for t in tags or []]
        tx.session.add(experiment)
        try:
            tx.session.flush()
        except IntegrityError as exc:
            raise AlreadyExists(f"Experiment(name={name}) already exists") from exc
    return experiment


def search_experiments(view_type: str = "ACTIVE_ONLY", filter_string: str | None = None,
                       order_by: list[str] | None = None, max_results: int | None = None,
                       page_token: str | None = None) -> tuple[list[Experiment], str | None]:
    """One page of experiments and the token of the next page, if there is one.

    Raises:
        InvalidParameter: bad filter, order_by, page size or token.
    """
    conditions = [experiment_condition(c) for c in parse_experiment_filter(filter_string)]
    ordering = experiment_order_clauses(parse_experiment_order_by(order_by))
    limit = page_size("experiments", max_results)
    secret = page_token_secret()
    offset = decode_page_token(page_token, secret=secret)
    query = (select(Experiment)
             .where(Experiment.lifecycle_stage.in_(VIEW_TYPES[view_type]), *conditions)
             .order_by(*ordering).offset(offset).limit(limit + 1))
    rows = list(db.session.scalars(query))
    next_token = encode_page_token(offset + limit, secret=secret) if len(rows) > limit else None
    return rows[:limit], next_token


def _touch(experiment: Experiment) -> None:
    experiment.last_update_time = now_ms()


def rename_experiment(experiment_id: str, new_name: str) -> None:
    """Raises: NotFound, AlreadyExists, InvalidParameter (deleted experiment or bad name)."""
    validate_experiment_name(new_name)
    with write_transaction():
        experiment = get_experiment(experiment_id)
        if experiment.lifecycle_stage != ACTIVE:
            raise InvalidParameter("Cannot rename a non-active experiment")
        if experiment.name != new_name:
            _check_name_free(new_name)
        experiment.name = new_name
        _touch(experiment)


def delete_experiment(experiment_id: str) -> None:
    """Soft-delete the experiment and mark its active runs deleted with it.

    Raises:
        NotFound: no such active experiment.
        InvalidParameter: the Default experiment, which the client falls back to.
    """
    with write_transaction() as tx:
        experiment = get_experiment(experiment_id)
        if experiment.id == 0:
            raise InvalidParameter("Cannot delete the Default experiment '0'")
        if experiment.lifecycle_stage == DELETED:
            raise NotFound(f"No active experiment with id={experiment_id} exists")
        deleted_at = now_ms()
        experiment.lifecycle_stage = DELETED
        experiment.last_update_time = deleted_at
        tx.session.execute(
            update(Run)
            .where(Run.experiment_id == experiment.id, Run.lifecycle_stage == ACTIVE)
            .values(lifecycle_stage=DELETED, deleted_time=deleted_at)
        )


def restore_experiment(experiment_id: str) -> None:
    """Restore the experiment and the runs that were deleted together with it.

    Raises:
        NotFound: no such deleted experiment (MLflow looks among deleted ones only).
    """
    with write_transaction() as tx:
        experiment = get_experiment(experiment_id)
        if experiment.lifecycle_stage != DELETED:
            raise NotFound(f"No deleted experiment with id={experiment_id} exists")
        tx.session.execute(
            update(Run)
            .where(Run.experiment_id == experiment.id,
                   Run.deleted_time == experiment.last_update_time)
            .values(lifecycle_stage=ACTIVE, deleted_time=None)
        )
        experiment.lifecycle_stage = ACTIVE
        _touch(experiment)


def require_active_experiment(experiment: Experiment) -> None:
    """Raises: InvalidParameter when writing into a deleted experiment."""
    if experiment.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"The experiment {experiment.id} must be in the 'active' state. "
            f"Current state is {experiment.lifecycle_stage}."
        )


def set_experiment_tag(experiment_id: str, key: str, value: str) -> None:
    """Raises: NotFound, InvalidParameter (bad tag or deleted experiment)."""
    validate_experiment_tag(key, value)
    with write_transaction() as tx:
        experiment = get_experiment(experiment_id)
        require_active_experiment(experiment)
        tx.session.merge(ExperimentTag(experiment_id=experiment.id, key=key, value=value))
        _touch(experiment)


def delete_experiment_tag(experiment_id: str, key: str) -> None:
    """Raises: NotFound for an unknown experiment or tag; InvalidParameter if deleted."""
    with write_transaction() as tx:
        experiment = get_experiment(experiment_id)
        require_active_experiment(experiment)
        tag = tx.session.get(ExperimentTag, (experiment.id, key))
        if tag is None:
            raise NotFound(f"No tag with name: {key} in experiment with id {experiment_id}")
        tx.session.delete(tag)
        _touch(experiment)
