"""MLflow 3 logged-model endpoints."""
from flask import Blueprint

from mlexp.api.parsing import parse
from mlexp.schemas.logged_models import SearchLoggedModelsRequest
from mlexp.services import logged_models

bp = Blueprint("logged_models", __name__)


@bp.post("/logged-models/search")
def search_logged_models():
    """SearchLoggedModels: the 3.x client asks this while it resolves runs:/ artifact paths."""
    req = parse(SearchLoggedModelsRequest())
    return {"models": logged_models.search_logged_models(req["experiment_ids"])}
