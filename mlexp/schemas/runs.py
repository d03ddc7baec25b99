"""Run messages: Run, RunInfo, RunData, Metric, and the run and logging requests."""
from marshmallow import fields, post_load

from mlexp.schemas.base import (RUN_STATUS, VIEW_TYPE, KeyValueSchema, ProtoDouble, ProtoEnum,
                                ProtoInt, RunIdRequest, WireSchema, non_empty)
from mlexp.domain import MetricPoint


class RunInfoSchema(WireSchema):
    run_id = fields.String(attribute="uuid")
    run_uuid = fields.Function(lambda r: r.uuid)
    run_name = fields.String(attribute="name")
    experiment_id = fields.Function(lambda r: str(r.experiment_id))
    user_id = fields.String()
    status = fields.String()
    start_time = ProtoInt()
    end_time = ProtoInt()
    artifact_uri = fields.String()
    lifecycle_stage = fields.String()


class MetricSchema(WireSchema):
    key = fields.String()
    value = fields.Method("_value")
    timestamp = ProtoInt()
    step = ProtoInt()

    def _value(self, metric):
        return ProtoDouble()._serialize(float("nan") if metric.is_nan else metric.value, None, None)


class RunDataSchema(WireSchema):
    metrics = fields.List(fields.Nested(MetricSchema), attribute="latest_metrics")
    params = fields.List(fields.Nested(KeyValueSchema))
    tags = fields.List(fields.Nested(KeyValueSchema))


_RUN_INFO = RunInfoSchema()
_RUN_DATA = RunDataSchema()


class RunSchema(WireSchema):
    """A run: info and data both read from the one Run row and its loaded collections."""

    info = fields.Function(_RUN_INFO.dump)
    data = fields.Function(_RUN_DATA.dump)
    inputs = fields.Function(lambda run: {})
    outputs = fields.Function(lambda run: {})


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

    @post_load
    def _to_point(self, data, **kwargs):
        return MetricPoint(**data)


class LogMetricRequest(RunIdRequest, MetricPointSchema):
    @post_load
    def _to_point(self, data, **kwargs):
        run_id = data.pop("run_id")
        return {"run_id": run_id, "metric": MetricPoint(**data)}


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
