"""MLflow model registry endpoints: registered models, versions, tags and aliases."""
from flask import Blueprint

from mlexp.api.parsing import paged, parse
from mlexp.schemas.registry import (AliasRequest, CreateModelVersionRequest,
                                    CreateRegisteredModelRequest, GetLatestVersionsRequest,
                                    NameRequest, RegisteredModelTagRequest,
                                    RenameRegisteredModelRequest, SearchRequest,
                                    TransitionStageRequest, UpdateModelVersionRequest,
                                    UpdateRegisteredModelRequest, VersionRequest, VersionTagRequest,
                                    registered_model_to_wire, version_with_aliases)
from mlexp.services import model_versions, registry

bp = Blueprint("registry", __name__)


def _model(model) -> dict:
    return {"registered_model": registered_model_to_wire(model, model_versions.latest_versions(model))}


def _version(version) -> dict:
    return {"model_version": version_with_aliases(version)}


@bp.post("/registered-models/create")
def create_registered_model():
    req = parse(CreateRegisteredModelRequest)
    return _model(registry.create_registered_model(req["name"], description=req["description"],
                                                   tags=req["tags"]))


@bp.post("/registered-models/rename")
def rename_registered_model():
    req = parse(RenameRegisteredModelRequest)
    return _model(registry.rename_registered_model(req["name"], req["new_name"]))


@bp.patch("/registered-models/update")
def update_registered_model():
    req = parse(UpdateRegisteredModelRequest)
    return _model(registry.update_registered_model(req["name"], req["description"]))


@bp.delete("/registered-models/delete")
def delete_registered_model():
    registry.delete_registered_model(parse(NameRequest)["name"])
    return {}


@bp.get("/registered-models/get")
def get_registered_model():
    return _model(registry.get_registered_model(parse(NameRequest)["name"]))


@bp.get("/registered-models/search")
def search_registered_models():
    req = parse(SearchRequest)
    found, token = registry.search_registered_models(req["filter"], req["order_by"],
                                                     req["max_results"], req["page_token"])
    return paged("registered_models", [_model(m)["registered_model"] for m in found], token)


@bp.route("/registered-models/get-latest-versions", methods=["GET", "POST"])
def get_latest_versions():
    req = parse(GetLatestVersionsRequest)
    model = registry.get_registered_model(req["name"])
    return {"model_versions": [version_with_aliases(v)
                               for v in model_versions.latest_versions(model, req["stages"])]}


@bp.post("/registered-models/set-tag")
def set_registered_model_tag():
    req = parse(RegisteredModelTagRequest)
    registry.set_registered_model_tag(req["name"], req["key"], req["value"])
    return {}


@bp.delete("/registered-models/delete-tag")
def delete_registered_model_tag():
    req = parse(RegisteredModelTagRequest)
    registry.delete_registered_model_tag(req["name"], req["key"])
    return {}


@bp.post("/registered-models/alias")
def set_alias():
    req = parse(AliasRequest)
    registry.set_alias(req["name"], req["alias"], req["version"] or "")
    return {}


@bp.delete("/registered-models/alias")
def delete_alias():
    req = parse(AliasRequest)
    registry.delete_alias(req["name"], req["alias"])
    return {}


@bp.get("/registered-models/alias")
def get_version_by_alias():
    req = parse(AliasRequest)
    return _version(model_versions.get_version_by_alias(req["name"], req["alias"]))


@bp.post("/model-versions/create")
def create_model_version():
    req = parse(CreateModelVersionRequest)
    return _version(model_versions.create_model_version(
        req["name"], req["source"], run_id=req["run_id"], model_id=req["model_id"], tags=req["tags"],
        run_link=req["run_link"], description=req["description"]))


@bp.get("/model-versions/get")
def get_model_version():
    req = parse(VersionRequest)
    return _version(model_versions.get_model_version(req["name"], req["version"]))


@bp.patch("/model-versions/update")
def update_model_version():
    req = parse(UpdateModelVersionRequest)
    return _version(model_versions.update_model_version(req["name"], req["version"], req["description"]))


@bp.post("/model-versions/transition-stage")
def transition_stage():
    req = parse(TransitionStageRequest)
    return _version(model_versions.transition_stage(req["name"], req["version"], req["stage"],
                                                    req["archive_existing_versions"]))


@bp.delete("/model-versions/delete")
def delete_model_version():
    req = parse(VersionRequest)
    model_versions.delete_model_version(req["name"], req["version"])
    return {}


@bp.get("/model-versions/search")
def search_model_versions():
    req = parse(SearchRequest)
    found, token = model_versions.search_model_versions(req["filter"], req["order_by"],
                                                        req["max_results"], req["page_token"])
    return paged("model_versions", [version_with_aliases(v) for v in found], token)


@bp.get("/model-versions/get-download-uri")
def get_download_uri():
    req = parse(VersionRequest)
    return {"artifact_uri": model_versions.download_uri(req["name"], req["version"])}


@bp.post("/model-versions/set-tag")
def set_version_tag():
    req = parse(VersionTagRequest)
    model_versions.set_version_tag(req["name"], req["version"], req["key"], req["value"])
    return {}


@bp.delete("/model-versions/delete-tag")
def delete_version_tag():
    req = parse(VersionTagRequest)
    model_versions.delete_version_tag(req["name"], req["version"], req["key"])
    return {}
