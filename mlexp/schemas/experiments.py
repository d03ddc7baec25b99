"""Experiment messages: the Experiment entity and the experiment requests."""
from marshmallow import fields

from mlexp.schemas.base import VIEW_TYPE, non_empty, KeyValueSchema, ProtoEnum, ProtoInt, WireSchema


class ExperimentSchema(WireSchema):
    experiment_id = fields.Function(lambda e: str(e.id))
    name = fields.String()
    artifact_location = fields.String()
    lifecycle_stage = fields.String()
    creation_time = ProtoInt()
    last_update_time = ProtoInt()
    tags = fields.List(fields.Nested(KeyValueSchema))


class CreateExperimentRequest(WireSchema):
    name = fields.String(required=True)
    artifact_location = fields.String(load_default=None)
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)


class ExperimentIdRequest(WireSchema):
    experiment_id = fields.String(required=True, validate=non_empty)


class GetExperimentRequest(ExperimentIdRequest):
    pass


class DeleteExperimentRequest(ExperimentIdRequest):
    pass


class RestoreExperimentRequest(ExperimentIdRequest):
    pass


class GetExperimentByNameRequest(WireSchema):
    experiment_name = fields.String(required=True, validate=non_empty)


class UpdateExperimentRequest(ExperimentIdRequest):
    new_name = fields.String(required=True)


class SetExperimentTagRequest(ExperimentIdRequest):
    key = fields.String(required=True)
    value = fields.String(load_default="")


class DeleteExperimentTagRequest(ExperimentIdRequest):
    key = fields.String(required=True)


class SearchExperimentsRequest(WireSchema):
    max_results = ProtoInt(load_default=None)
    page_token = fields.String(load_default=None)
    filter = fields.String(load_default=None)
    order_by = fields.List(fields.String(), load_default=list)
    view_type = ProtoEnum(VIEW_TYPE, load_default="ACTIVE_ONLY")
