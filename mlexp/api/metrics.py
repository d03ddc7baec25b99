"""MLflow metric endpoints."""
from flask import Blueprint

from mlexp.api.parsing import paged, parse
from mlexp.schemas.runs import GetMetricHistoryRequest, history_to_wire
from mlexp.services.metrics import get_metric_history

bp = Blueprint("metrics", __name__)


@bp.get("/metrics/get-history")
def get_history():
    req = parse(GetMetricHistoryRequest)
    points, next_token = get_metric_history(req["run_id"], req["metric_key"],
                                            max_results=req["max_results"],
                                            page_token=req["page_token"])
    return paged("metrics", history_to_wire(points), next_token)
