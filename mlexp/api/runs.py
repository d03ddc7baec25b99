"""MLflow run endpoints: lifecycle, logging and search."""
import orjson
from flask import Blueprint, Response

from mlexp.http.access import current_principal
from mlexp.api.parsing import load, parse
from mlexp.schemas.runs import (CreateRunRequest, DeleteRunRequest, DeleteTagRequest,
                                GetRunRequest, LogBatchRequest, LogInputsRequest, LogMetricRequest,
                                LogOutputsRequest, LogParamRequest,
                                RestoreRunRequest, SearchRunsRequest, SetTagRequest,
                                UpdateRunRequest, metric_point)
from mlexp.services import inputs, run_data, run_json, runs, search_pages

bp = Blueprint("runs", __name__)


@bp.post("/runs/create")
def create_run():
    """CreateRun; with access control on, the run is recorded as the token's user."""
    req = parse(CreateRunRequest)
    principal = current_principal()
    user_id = principal.name if principal else req["user_id"]
    run = runs.create_run(req["experiment_id"], user_id=user_id, run_name=req["run_name"],
                          start_time=req["start_time"], tags=req["tags"],
                          user_is_authenticated=principal is not None)
    return _json(b'{"run":', run_json.run_json(run.uuid), b"}")


@bp.get("/runs/get")
def get_run():
    return _json(b'{"run":', run_json.run_json(parse(GetRunRequest)["run_id"]), b"}")


@bp.post("/runs/update")
def update_run():
    req = parse(UpdateRunRequest)
    run = runs.update_run(req["run_id"], status=req["status"], end_time=req["end_time"],
                          run_name=req["run_name"])
    return _json(b'{"run_info":', run_json.run_info_json(run.id), b"}")


def _json(*parts: bytes) -> Response:
    """A response of JSON built by the database (services/run_json.py) and the bytes around it."""
    return Response(b"".join((*parts, b"\n")), mimetype="application/json")


@bp.post("/runs/delete")
def delete_run():
    runs.delete_run(parse(DeleteRunRequest)["run_id"])
    return {}


@bp.post("/runs/restore")
def restore_run():
    runs.restore_run(parse(RestoreRunRequest)["run_id"])
    return {}


def log_metric(body: dict) -> None:
    """LogMetric (served by the logging lane, api/logging_lane.py, not by a Flask route)."""
    req = load(LogMetricRequest, body)
    run_data.log_metric(req.pop("run_id"), metric_point(req))


@bp.post("/runs/log-parameter")
def log_param():
    req = parse(LogParamRequest)
    run_data.log_param(req["run_id"], req["key"], req["value"])
    return {}


@bp.post("/runs/set-tag")
def set_tag():
    req = parse(SetTagRequest)
    run_data.set_tag(req["run_id"], req["key"], req["value"])
    return {}


@bp.post("/runs/delete-tag")
def delete_tag():
    req = parse(DeleteTagRequest)
    run_data.delete_tag(req["run_id"], req["key"])
    return {}


def log_batch(body: dict) -> None:
    """LogBatch (served by the logging lane): metrics, params and tags land together or not at all."""
    req = load(LogBatchRequest, body)
    run_data.log_batch(req["run_id"], metrics=[metric_point(m) for m in req["metrics"]], params=req["params"],
                       tags=req["tags"])


@bp.route("/runs/search", methods=["GET", "POST"])
def search_runs():
    """SearchRuns; GET is accepted too, as MLflow's server accepts it. Runs are rendered as
    JSON in bulk (services/run_json.py, services/search_pages.py) and spliced into the page."""
    req = parse(SearchRunsRequest)
    runs_body, next_token = search_pages.search_page(
        req["experiment_ids"], filter_string=req["filter"], run_view_type=req["run_view_type"],
        max_results=req["max_results"], order_by=req["order_by"], page_token=req["page_token"])
    token = b',"next_page_token":' + orjson.dumps(next_token) if next_token else b""
    return _json(b'{"runs":[', runs_body, b"]", token, b"}")


@bp.post("/runs/log-inputs")
def log_inputs():
    req = parse(LogInputsRequest)
    inputs.log_inputs(req["run_id"], req["datasets"], req["models"])
    return {}


@bp.post("/runs/outputs")
def log_outputs():
    req = parse(LogOutputsRequest)
    inputs.log_outputs(req["run_id"], req["models"])
    return {}
