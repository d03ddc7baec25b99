"""Logged-model messages (MLflow 3)."""
from marshmallow import fields

from mlexp.schemas.base import ProtoInt, WireSchema


class SearchLoggedModelsRequest(WireSchema):
    experiment_ids = fields.List(fields.String(), load_default=list)
    filter = fields.String(load_default=None)
    datasets = fields.List(fields.Dict(), load_default=list)
    max_results = ProtoInt(load_default=None)
    order_by = fields.List(fields.Dict(), load_default=list)
    page_token = fields.String(load_default=None)
