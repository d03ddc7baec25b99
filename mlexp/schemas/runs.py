"""Run messages: the run and logging requests, and Metric (Run and RunInfo: services/run_json.py)."""
import math

from marshmallow import fields

from mlexp.schemas.base import (double_to_wire, RUN_STATUS, VIEW_TYPE, KeyValueSchema, ProtoDouble, ProtoEnum,
                                ProtoInt, RunIdRequest, WireSchema, non_empty)
from mlexp.domain import MetricPoint


# Metric responses are dumped by plain functions rather than marshmallow: a history page holds up
# to 25,000 points, and marshmallow's per-field cost dominated the request. Run and RunInfo JSON
# is built by the database (services/run_json.py).

def metric_to_wire(key: str, value: float, is_nan: bool, timestamp: int, step: int) -> dict:
    return {"key": key, "value": double_to_wire(value, is_nan), "timestamp": timestamp, "step": step}


def history_to_wire(points) -> list[dict]:
    """metric_to_wire of each (key, value, is_nan, timestamp, step), in one pass: a history
    page holds up to 25,000 points, and finite values (nearly all) need no conversion."""
    isfinite = math.isfinite
    return [{"key": key, "value": value, "timestamp": timestamp, "step": step}
            if not is_nan and isfinite(value) else metric_to_wire(key, value, is_nan, timestamp, step)
            for key, value, is_nan, timestamp, step in points]


class CreateRunRequest(WireSchema):
    experiment_id = fields.String(load_default=None)
    user_id = fields.String(load_default=None)
    run_name = fields.String(load_default=None)
    start_time = ProtoInt(load_default=None)
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)


class GetRunRequest(RunIdRequest):
    pass


class DeleteRunRequest(RunIdRequest):
    pass


class RestoreRunRequest(RunIdRequest):
    pass


class UpdateRunRequest(RunIdRequest):
    status = ProtoEnum(RUN_STATUS, load_default=None)
    end_time = ProtoInt(load_default=None)
    run_name = fields.String(load_default=None)


class MetricPointSchema(WireSchema):
    """A metric as logged: key, value and timestamp are required, step defaults to 0."""

    key = fields.String(required=True)
    value = ProtoDouble(required=True)
    timestamp = ProtoInt(required=True)
    step = ProtoInt(load_default=0)
    model_id = fields.String(load_default=None)
    dataset_name = fields.String(load_default=None)
    dataset_digest = fields.String(load_default=None)


def metric_point(data: dict) -> MetricPoint:
    """The MetricPoint of a loaded MetricPointSchema (or LogMetricRequest, its run_id removed);
    empty optional strings mean "not set", as protobuf reads them."""
    return MetricPoint(data["key"], data["value"], data["timestamp"], data["step"],
                       data["model_id"] or None, data["dataset_name"] or None, data["dataset_digest"] or None)


class LogMetricRequest(RunIdRequest, MetricPointSchema):
    pass


class LogParamRequest(RunIdRequest):
    key = fields.String(required=True)
    value = fields.String(load_default="")


class SetTagRequest(RunIdRequest):
    key = fields.String(required=True)
    value = fields.String(load_default="")


class DeleteTagRequest(RunIdRequest):
    key = fields.String(required=True)


class LogBatchRequest(RunIdRequest):
    metrics = fields.List(fields.Nested(MetricPointSchema), load_default=list)
    params = fields.List(fields.Nested(KeyValueSchema), load_default=list)
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)


class DatasetSchema(WireSchema):
    name = fields.String(required=True, validate=non_empty)
    digest = fields.String(required=True, validate=non_empty)
    source_type = fields.String(required=True, validate=non_empty)
    source = fields.String(required=True, validate=non_empty)
    schema = fields.String(load_default=None)
    profile = fields.String(load_default=None)


class InputTagSchema(KeyValueSchema):
    key = fields.String(required=True, validate=non_empty)


class DatasetInputSchema(WireSchema):
    tags = fields.List(fields.Nested(InputTagSchema), load_default=list)
    dataset = fields.Nested(DatasetSchema, required=True)


class ModelInputSchema(WireSchema):
    model_id = fields.String(required=True)


class LogInputsRequest(RunIdRequest):
    datasets = fields.List(fields.Nested(DatasetInputSchema), load_default=list)
    models = fields.List(fields.Nested(ModelInputSchema), load_default=list)


class ModelOutputSchema(WireSchema):
    model_id = fields.String(required=True)
    step = ProtoInt(load_default=0)


class LogOutputsRequest(RunIdRequest):
    models = fields.List(fields.Nested(ModelOutputSchema), required=True)


class SearchRunsRequest(WireSchema):
    experiment_ids = fields.List(fields.String(), load_default=list)
    filter = fields.String(load_default=None)
    run_view_type = ProtoEnum(VIEW_TYPE, load_default="ACTIVE_ONLY")
    max_results = ProtoInt(load_default=None)
    order_by = fields.List(fields.String(), load_default=list)
    page_token = fields.String(load_default=None)


class GetMetricHistoryRequest(RunIdRequest):
    metric_key = fields.String(required=True, validate=non_empty)
    max_results = ProtoInt(load_default=None)
    page_token = fields.String(load_default=None)
