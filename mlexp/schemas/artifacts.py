"""Artifact messages: FileInfo and the two ListArtifacts requests."""
from marshmallow import fields

from mlexp.schemas.base import ProtoInt, RunIdRequest, WireSchema


class FileInfoSchema(WireSchema):
    path = fields.String()
    is_dir = fields.Boolean()
    file_size = ProtoInt()


class ListArtifactsRequest(WireSchema):
    """mlflow-artifacts ListArtifacts: a folder below the packages root."""

    path = fields.String(load_default=None)


class ListRunArtifactsRequest(RunIdRequest):
    """Tracking ListArtifacts: a folder below one run's artifact root."""

    path = fields.String(load_default=None)
    page_token = fields.String(load_default=None)
