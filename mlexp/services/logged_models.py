"""MLflow 3 logged models: created by every log_model call, finalized once files are uploaded."""
import uuid

from sqlalchemy import exists, select

from mlexp.clock import now_ms
from mlexp.errors import InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import (ACTIVE, DELETED, LoggedModel, LoggedModelParam, LoggedModelTag, Metric,
                          Run)
from mlexp.search.filter import Comparison, parse_logged_model_filter
from mlexp.search.paging import decode_page_token, encode_page_token
from mlexp.services import page_token_secret
from mlexp.search.sql import compare
from mlexp.services.experiments import get_experiment, require_active_experiment
from mlexp.services.runs import get_run_row
from mlexp.storage.transaction import delete_one, update_row, write_transaction
from mlexp.validation import page_size, validate_param, validate_tag
from mlexp.validation.registry import validate_final_status, validate_logged_model_name



def get_logged_model(model_id: str, *, include_deleted: bool = False) -> LoggedModel:
    """Raises: NotFound."""
    model = db.session.scalar(select(LoggedModel).where(LoggedModel.model_id == model_id))
    if model is None or (model.lifecycle_stage == DELETED and not include_deleted):
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return model


def create_logged_model(experiment_id: str, *, name: str | None, model_type: str | None,
                        source_run_id: str | None, params: list[dict],
                        tags: list[dict]) -> LoggedModel:
    """A PENDING logged model in an active experiment, optionally made by a run.

    Raises:
        NotFound: unknown experiment or source run.
        InvalidParameter: deleted experiment, bad params or tags, a param given twice with
            different values.
    """
    validate_logged_model_name(name)
    unique_params = {}
    for param in params:
        validate_param(param["key"], param["value"])
        if unique_params.setdefault(param["key"], param["value"]) != param["value"]:
            raise InvalidParameter(
                f"Param with key='{param['key']}' is given twice with different values "
                f"('{unique_params[param['key']]}' and '{param['value']}')")
    for tag in tags:
        validate_tag(tag["key"], tag["value"])
    with write_transaction() as tx:
        experiment = get_experiment(experiment_id)
        require_active_experiment(experiment)
        if source_run_id:
            get_run_row(source_run_id)
        model_id = f"m-{uuid.uuid4().hex}"
        model = LoggedModel(model_id=model_id, experiment_id=experiment.id,
                            name=name or f"model-{model_id[2:10]}", model_type=model_type or None,
                            source_run_id=source_run_id or None)
        model.params = [LoggedModelParam(key=k, value=v) for k, v in unique_params.items()]
        model.tags = [LoggedModelTag(key=t["key"], value=t["value"])
                      for t in {t["key"]: t for t in tags}.values()]
        tx.session.add(model)
    return model


def finalize_logged_model(model_id: str, status: str) -> LoggedModel:
    """Raises: NotFound; InvalidParameter for a status other than READY or UPLOAD_FAILED."""
    validate_final_status(status)
    return update_row(get_logged_model, model_id, status=status)


def delete_logged_model(model_id: str) -> None:
    """Soft delete: the model disappears from get and search. Raises: NotFound."""
    update_row(get_logged_model, model_id, lifecycle_stage=DELETED)


def set_logged_model_tags(model_id: str, tags: list[dict]) -> LoggedModel:
    """Raises: NotFound, InvalidParameter."""
    for tag in tags:
        validate_tag(tag["key"], tag["value"])
    with write_transaction() as tx:
        model = get_logged_model(model_id)
        for tag in tags:
            tx.session.merge(LoggedModelTag(model_pk=model.id, key=tag["key"], value=tag["value"]))
        model.last_updated_time = now_ms()
    return model


def delete_logged_model_tag(model_id: str, key: str) -> None:
    """Raises: NotFound for an unknown model or tag."""
    with write_transaction() as tx:
        model = get_logged_model(model_id)
        delete_one(tx.session, LoggedModelTag, LoggedModelTag.model_pk == model.id,
                   LoggedModelTag.key == key,
                   missing=f"No tag with key {key!r} on logged model {model_id}")


def log_logged_model_params(model_id: str, params: list[dict]) -> None:
    """Raises: NotFound; InvalidParameter for a bad param or a changed value."""
    for param in params:
        validate_param(param["key"], param["value"])
    with write_transaction() as tx:
        model = get_logged_model(model_id)
        existing = {p.key: p.value for p in model.params}
        for param in params:
            if param["key"] in existing and existing[param["key"]] != param["value"]:
                raise InvalidParameter(
                    f"Changing param values is not allowed. Param with key='{param['key']}' was "
                    f"already logged with value='{existing[param['key']]}' for logged model "
                    f"'{model_id}'. Attempted logging new value '{param['value']}'.")
            if param["key"] not in existing:
                tx.session.add(LoggedModelParam(model_pk=model.id, key=param["key"],
                                                value=param["value"]))
                existing[param["key"]] = param["value"]


def model_metrics(model: LoggedModel) -> list[tuple[Metric, str]]:
    """The latest point of each metric logged for this model, with the run that logged it
    (a point's `negative_zero` says a stored 0 was logged as -0.0)."""
    points = db.session.execute(
        select(Metric, Run.uuid).join(Run, Run.id == Metric.run_id)
        .where(Metric.model_id == model.model_id)
        .order_by(Metric.key, Metric.step, Metric.timestamp, Metric.value))
    latest = {}
    for point, run_uuid in points:
        latest[point.key] = (point, run_uuid)
    return list(latest.values())


_ATTRIBUTE_COLUMNS = {
    "name": LoggedModel.name, "model_id": LoggedModel.model_id, "model_type": LoggedModel.model_type,
    "status": LoggedModel.status, "source_run_id": LoggedModel.source_run_id,
    "creation_timestamp": LoggedModel.creation_time,
    "last_updated_timestamp": LoggedModel.last_updated_time,
}


def _condition(comp: Comparison):
    if comp.entity == "attribute":
        return compare(_ATTRIBUTE_COLUMNS[comp.key], comp.comparator, comp.value)
    if comp.entity in ("param", "tag"):
        table = LoggedModelParam if comp.entity == "param" else LoggedModelTag
        return exists().where(table.model_pk == LoggedModel.id, table.key == comp.key,
                              compare(table.value, comp.comparator, comp.value))
    # As MLflow does for logged models: any logged point of the metric may match.
    return exists().where(Metric.model_id == LoggedModel.model_id, Metric.key == comp.key,
                          Metric.is_nan.is_(False), compare(Metric.value, comp.comparator, comp.value))


def _order_column(field_name: str):
    """An attribute (creation_time and last_updated_time alias the timestamps) or metrics.<key>.

    Raises:
        InvalidParameter: any other field.
    """
    field_name = {"creation_time": "creation_timestamp",
                  "last_updated_time": "last_updated_timestamp"}.get(field_name, field_name)
    if field_name in _ATTRIBUTE_COLUMNS:
        return _ATTRIBUTE_COLUMNS[field_name]
    if field_name.startswith("metrics.") and len(field_name) > len("metrics."):
        return _latest_metric(field_name[len("metrics."):])
    raise InvalidParameter(f"Invalid order_by field {field_name!r} for logged models; expected "
                           f"metrics.<key> or one of: {', '.join(sorted(_ATTRIBUTE_COLUMNS))}")


def _latest_metric(key: str):
    return (select(Metric.value).where(Metric.model_id == LoggedModel.model_id, Metric.key == key,
                                       Metric.is_nan.is_(False))
            .order_by(Metric.step.desc(), Metric.timestamp.desc()).limit(1).scalar_subquery())


def search_logged_models(experiment_ids: list[str], *, filter_string: str | None = None,
                         order_by: list[dict] | None = None, max_results: int | None = None,
                         page_token: str | None = None) -> tuple[list[LoggedModel], str | None]:
    """Logged models of these experiments, newest first unless order_by says otherwise.

    Raises:
        NotFound: an experiment id names no experiment.
        InvalidParameter: an experiment id that is no integer; bad filter, order_by, page size or token.
    """
    ids = [get_experiment(e).id for e in experiment_ids]
    conditions = [_condition(c) for c in parse_logged_model_filter(filter_string)]
    ordering = []
    for clause in order_by or []:
        column = _order_column(clause.get("field_name", ""))
        ordering += [column.is_(None), column.asc() if clause.get("ascending", True) else column.desc()]
    ordering += [LoggedModel.creation_time.desc(), LoggedModel.id.desc()]
    limit = page_size("logged_models", max_results)
    secret = page_token_secret()
    offset = decode_page_token(page_token, secret=secret)
    query = (select(LoggedModel).where(LoggedModel.experiment_id.in_(ids),
                                       LoggedModel.lifecycle_stage == ACTIVE, *conditions)
             .order_by(*ordering).offset(offset).limit(limit + 1))
    models = list(db.session.scalars(query))
    next_token = encode_page_token(offset + limit, secret=secret) if len(models) > limit else None
    return models[:limit], next_token
