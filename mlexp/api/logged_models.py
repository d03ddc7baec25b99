"""MLflow 3 logged-model endpoints."""
from flask import Blueprint

from mlexp.api.parsing import paged, parse
from mlexp.errors import InvalidParameter
from mlexp.schemas.artifacts import FileInfoSchema
from mlexp.schemas.logged_models import (CreateLoggedModelRequest, FinalizeLoggedModelRequest,
                                         GetLoggedModelRequest,
                                         ListLoggedModelArtifactsRequest,
                                         LogLoggedModelParamsRequest, SearchLoggedModelsRequest,
                                         SetLoggedModelTagsRequest, logged_model_to_wire)
from mlexp.services import artifacts, logged_models

bp = Blueprint("logged_models", __name__)


def _model_response(model) -> dict:
    return {"model": logged_model_to_wire(model, logged_models.model_metrics(model))}


@bp.post("/logged-models")
def create_logged_model():
    req = parse(CreateLoggedModelRequest)
    return _model_response(logged_models.create_logged_model(
        req["experiment_id"], name=req["name"], model_type=req["model_type"],
        source_run_id=req["source_run_id"], params=req["params"], tags=req["tags"]))


@bp.get("/logged-models/<model_id>")
def get_logged_model(model_id):
    req = parse(GetLoggedModelRequest)
    return _model_response(logged_models.get_logged_model(model_id, include_deleted=req["allow_deleted"]))


@bp.patch("/logged-models/<model_id>")
def finalize_logged_model(model_id):
    req = parse(FinalizeLoggedModelRequest)
    return _model_response(logged_models.finalize_logged_model(model_id, req["status"]))


@bp.delete("/logged-models/<model_id>")
def delete_logged_model(model_id):
    logged_models.delete_logged_model(model_id)
    return {}


@bp.patch("/logged-models/<model_id>/tags")
def set_logged_model_tags(model_id):
    req = parse(SetLoggedModelTagsRequest)
    return _model_response(logged_models.set_logged_model_tags(model_id, req["tags"]))


@bp.delete("/logged-models/<model_id>/tags/<path:tag_key>")
def delete_logged_model_tag(model_id, tag_key):
    logged_models.delete_logged_model_tag(model_id, tag_key)
    return {}


@bp.post("/logged-models/<model_id>/params")
def log_logged_model_params(model_id):
    req = parse(LogLoggedModelParamsRequest)
    logged_models.log_logged_model_params(model_id, req["params"])
    return {}


@bp.post("/logged-models/search")
def search_logged_models():
    """SearchLoggedModels: the 3.x client also asks this while it resolves runs:/ paths."""
    req = parse(SearchLoggedModelsRequest)
    if req["datasets"]:
        raise InvalidParameter("Searching logged models by dataset is not supported yet")
    found, next_token = logged_models.search_logged_models(
        req["experiment_ids"], filter_string=req["filter"], order_by=req["order_by"],
        max_results=req["max_results"], page_token=req["page_token"])
    return paged("models", [logged_model_to_wire(m, logged_models.model_metrics(m)) for m in found],
                 next_token)


@bp.get("/logged-models/<model_id>/artifacts/directories")
def list_logged_model_artifacts(model_id):
    req = parse(ListLoggedModelArtifactsRequest)
    root_uri, files = artifacts.list_logged_model_artifacts(model_id, req["artifact_directory_path"])
    return {"root_uri": root_uri, "files": FileInfoSchema(many=True).dump(files)}
