"""Run messages: the run and logging requests, and Metric (Run and RunInfo: services/run_json.py)."""
import math

from marshmallow import fields, post_load

from mlexp.schemas.base import (double_to_wire, RUN_STATUS, VIEW_TYPE, KeyValueSchema, ProtoDouble, ProtoEnum,
                                ProtoInt, RunIdRequest, WireSchema, non_empty)
from mlexp.domain import MetricPoint
from mlexp.schemas.base import INT64_MAX, INT64_MIN


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


def _point(data: dict) -> MetricPoint:
    """Empty optional strings mean "not set", as protobuf reads them."""
    optional = ("model_id", "dataset_name", "dataset_digest")
    return MetricPoint(**{**data, **{k: data.get(k) or None for k in optional}})


class MetricPointSchema(WireSchema):
    """A metric as logged: key, value and timestamp are required, step defaults to 0."""

    key = fields.String(required=True)
    value = ProtoDouble(required=True)
    timestamp = ProtoInt(required=True)
    step = ProtoInt(load_default=0)
    model_id = fields.String(load_default=None)
    dataset_name = fields.String(load_default=None)
    dataset_digest = fields.String(load_default=None)

    @post_load
    def _to_point(self, data, **kwargs):
        return _point(data)


class LogMetricRequest(RunIdRequest, MetricPointSchema):
    @post_load
    def _to_point(self, data, **kwargs):
        run_id = data.pop("run_id")
        return {"run_id": run_id, "metric": _point(data)}


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


_BATCH_FIELDS = {"run_id", "metrics", "params", "tags"}
_POINT_FIELDS = {"key", "value", "timestamp", "step"}
_METRIC_FIELDS = _POINT_FIELDS | {"run_id", "run_uuid"}


def _plain_point(metric: dict) -> MetricPoint | None:
    """A MetricPoint from a plainly typed metric (string key, numeric value, int64 timestamp and
    step), or None for anything MetricPointSchema must read or word an error for."""
    key, value, timestamp = metric.get("key"), metric.get("value"), metric.get("timestamp")
    step = metric.get("step", 0)
    if type(key) is not str or type(value) not in (float, int) or type(timestamp) is not int \
            or type(step) is not int or not INT64_MIN <= timestamp <= INT64_MAX \
            or not INT64_MIN <= step <= INT64_MAX:
        return None
    try:
        return MetricPoint(key, float(value), timestamp, step)
    except OverflowError:
        return None


def fast_log_batch(body: dict) -> dict | None:
    """LogBatchRequest's result for the shape clients send, read without marshmallow, or None.

    Nested marshmallow schemas cost ~10 µs a field: half of a 100-metric call. Only plainly
    typed input is read here (string keys, numeric values, integer timestamps and steps, no
    nulls, camelCase or extra fields); anything else returns None and goes through
    LogBatchRequest, which also words every error.
    """
    run_id = body.get("run_id")
    if type(run_id) is not str or not run_id or not body.keys() <= _BATCH_FIELDS:
        return None
    metrics, params, tags = body.get("metrics", []), body.get("params", []), body.get("tags", [])
    if type(metrics) is not list or type(params) is not list or type(tags) is not list:
        return None
    points = []
    for metric in metrics:
        if type(metric) is not dict or not metric.keys() <= _POINT_FIELDS:
            return None
        point = _plain_point(metric)
        if point is None:
            return None
        points.append(point)
    pairs = []
    for items in (params, tags):
        loaded = []
        for item in items:
            if type(item) is not dict or len(item) != 2 or type(item.get("key")) is not str \
                    or type(item.get("value")) is not str:
                return None
            loaded.append({"key": item["key"], "value": item["value"]})
        pairs.append(loaded)
    return {"run_id": run_id, "metrics": points, "params": pairs[0], "tags": pairs[1]}


def fast_log_metric(body: dict) -> dict | None:
    """LogMetricRequest's result for the body the MLflow client sends on every
    `mlflow.log_metric` (run_id, its old name run_uuid, key, value, timestamp, step), read without
    marshmallow; None for anything else, which LogMetricRequest reads (and words errors for)."""
    run_id = body.get("run_id")
    if type(run_id) is not str or not run_id or not body.keys() <= _METRIC_FIELDS \
            or body.get("run_uuid", run_id) != run_id:
        return None
    point = _plain_point(body)
    return None if point is None else {"run_id": run_id, "metric": point}


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
