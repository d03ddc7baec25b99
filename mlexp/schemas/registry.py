"""Model registry messages: RegisteredModel, ModelVersion and their requests."""
from marshmallow import fields

from mlexp.schemas.base import KeyValueSchema, ProtoInt, WireSchema, non_empty


def model_version_to_wire(version, name: str, aliases: list[str]) -> dict:
    """ModelVersion: version numbers travel as strings, as in MLflow."""
    wire = {"name": name, "version": str(version.version),
            "creation_timestamp": version.creation_time,
            "last_updated_timestamp": version.last_updated_time,
            "current_stage": version.current_stage, "source": version.source,
            "status": version.status, "tags": [{"key": t.key, "value": t.value} for t in version.tags],
            "aliases": aliases}
    for field in ("description", "user_id", "run_id", "run_link", "model_id"):
        value = getattr(version, field)
        if value is not None:
            wire[field] = value
    return wire


def version_with_aliases(version) -> dict:
    model = version.registered_model
    aliases = [a.alias for a in model.aliases if a.version == version.version]
    return model_version_to_wire(version, model.name, aliases)


def registered_model_to_wire(model, latest: list) -> dict:
    wire = {"name": model.name, "creation_timestamp": model.creation_time,
            "last_updated_timestamp": model.last_updated_time,
            "latest_versions": [version_with_aliases(v) for v in latest],
            "tags": [{"key": t.key, "value": t.value} for t in model.tags],
            "aliases": [{"alias": a.alias, "version": str(a.version)} for a in model.aliases]}
    for field in ("description", "user_id"):
        if getattr(model, field) is not None:
            wire[field] = getattr(model, field)
    return wire


class NameRequest(WireSchema):
    name = fields.String(required=True, validate=non_empty)


class CreateRegisteredModelRequest(NameRequest):
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)
    description = fields.String(load_default=None)


class RenameRegisteredModelRequest(NameRequest):
    new_name = fields.String(required=True, validate=non_empty)


class UpdateRegisteredModelRequest(NameRequest):
    description = fields.String(load_default=None)


class RegisteredModelTagRequest(NameRequest):
    key = fields.String(required=True, validate=non_empty)
    value = fields.String(load_default="")


class AliasRequest(NameRequest):
    alias = fields.String(required=True, validate=non_empty)
    version = fields.String(load_default=None)


class SearchRequest(WireSchema):
    filter = fields.String(load_default=None)
    max_results = ProtoInt(load_default=None)
    order_by = fields.List(fields.String(), load_default=list)
    page_token = fields.String(load_default=None)


class GetLatestVersionsRequest(NameRequest):
    stages = fields.List(fields.String(), load_default=list)


class CreateModelVersionRequest(NameRequest):
    source = fields.String(required=True, validate=non_empty)
    run_id = fields.String(load_default=None)
    tags = fields.List(fields.Nested(KeyValueSchema), load_default=list)
    run_link = fields.String(load_default=None)
    description = fields.String(load_default=None)
    model_id = fields.String(load_default=None)


class VersionRequest(NameRequest):
    version = fields.String(required=True, validate=non_empty)


class UpdateModelVersionRequest(VersionRequest):
    description = fields.String(load_default=None)


class TransitionStageRequest(VersionRequest):
    stage = fields.String(required=True, validate=non_empty)
    archive_existing_versions = fields.Boolean(load_default=False)


class VersionTagRequest(VersionRequest):
    key = fields.String(required=True, validate=non_empty)
    value = fields.String(load_default="")
