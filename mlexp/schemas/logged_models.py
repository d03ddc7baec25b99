"""Logged-model messages (MLflow 3): LoggedModel and its requests."""
from marshmallow import fields, validate

from mlexp.schemas.base import MISSING, KeyValueSchema, ProtoEnum, ProtoInt, WireSchema, non_empty
from mlexp.schemas.runs import metric_to_wire

STATUS = ("LOGGED_MODEL_STATUS_UNSPECIFIED", "LOGGED_MODEL_PENDING", "LOGGED_MODEL_READY",
          "LOGGED_MODEL_UPLOAD_FAILED")


def logged_model_to_wire(model, metrics) -> dict:
    """LoggedModel: info (ids, name, status, times, artifact_uri, tags) and data (params, metrics)."""
    info = {"model_id": model.model_id, "experiment_id": str(model.experiment_id), "name": model.name,
            "creation_timestamp_ms": model.creation_time,
            "last_updated_timestamp_ms": model.last_updated_time,
            "artifact_uri": model.artifact_uri, "status": model.status,
            "tags": [{"key": t.key, "value": t.value} for t in model.tags]}
    for field, value in (("model_type", model.model_type), ("source_run_id", model.source_run_id),
                         ("status_message", model.status_message)):
        if value is not None:
            info[field] = value
    data = {"params": [{"key": p.key, "value": p.value} for p in model.params],
            "metrics": [_model_metric(m, model.model_id, run_id) for m, run_id in metrics]}
    return {"info": info, "data": data}


def _model_metric(metric, model_id: str, run_id: str) -> dict:
    value = -0.0 if metric.negative_zero else metric.value
    wire = {**metric_to_wire(metric.key, value, metric.is_nan, metric.timestamp, metric.step),
            "model_id": model_id, "run_id": run_id}
    for field in ("dataset_name", "dataset_digest"):
        if getattr(metric, field):
            wire[field] = getattr(metric, field)
    return wire


class CreateLoggedModelRequest(WireSchema):
    experiment_id = fields.String(required=True, validate=non_empty)
    name = fields.String(load_default=None)
    model_type = fields.String(load_default=None)
    source_run_id = fields.String(load_default=None)
    params = fields.List(fields.Nested(KeyValueSchema), load_default=list)
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)


class FinalizeLoggedModelRequest(WireSchema):
    status = ProtoEnum(STATUS, first_number=0, required=True)


class SetLoggedModelTagsRequest(WireSchema):
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)


class LogLoggedModelParamsRequest(WireSchema):
    params = fields.List(fields.Nested(KeyValueSchema), load_default=list)


class SearchLoggedModelsOrderBy(WireSchema):
    field_name = fields.String(required=True)
    ascending = fields.Boolean(load_default=True)


class SearchLoggedModelsRequest(WireSchema):
    experiment_ids = fields.List(fields.String(), required=True,
                                 validate=validate.Length(min=1, error=MISSING))
    filter = fields.String(load_default=None)
    datasets = fields.List(fields.Dict(), load_default=list)
    max_results = ProtoInt(load_default=None)
    order_by = fields.List(fields.Nested(SearchLoggedModelsOrderBy), load_default=list)
    page_token = fields.String(load_default=None)


class GetLoggedModelRequest(WireSchema):
    allow_deleted = fields.Boolean(load_default=False)


class ListLoggedModelArtifactsRequest(WireSchema):
    artifact_directory_path = fields.String(load_default=None)
    page_token = fields.String(load_default=None)
