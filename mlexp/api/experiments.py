"""MLflow experiment endpoints: one service call per route."""
from flask import Blueprint

from mlexp.api.parsing import paged, parse
from mlexp.schemas.experiments import (CreateExperimentRequest, DeleteExperimentRequest,
                                       DeleteExperimentTagRequest, ExperimentSchema,
                                       GetExperimentByNameRequest, GetExperimentRequest,
                                       RestoreExperimentRequest, SearchExperimentsRequest,
                                       SetExperimentTagRequest, UpdateExperimentRequest)
from mlexp.services import experiments

bp = Blueprint("experiments", __name__)


@bp.post("/experiments/create")
def create_experiment():
    req = parse(CreateExperimentRequest)
    experiment = experiments.create_experiment(req["name"], req["tags"], req["artifact_location"])
    return {"experiment_id": str(experiment.id)}


@bp.get("/experiments/get")
def get_experiment():
    req = parse(GetExperimentRequest)
    return {"experiment": ExperimentSchema().dump(experiments.get_experiment(req["experiment_id"]))}


@bp.get("/experiments/get-by-name")
def get_experiment_by_name():
    req = parse(GetExperimentByNameRequest)
    experiment = experiments.get_experiment_by_name(req["experiment_name"])
    return {"experiment": ExperimentSchema().dump(experiment)}


@bp.route("/experiments/search", methods=["GET", "POST"])
def search_experiments():
    """SearchExperiments; GET is accepted too, as MLflow's server accepts it."""
    req = parse(SearchExperimentsRequest)
    found, next_token = experiments.search_experiments(
        req["view_type"], req["filter"], req["order_by"], req["max_results"], req["page_token"])
    return paged("experiments", ExperimentSchema(many=True).dump(found), next_token)


@bp.post("/experiments/update")
def update_experiment():
    req = parse(UpdateExperimentRequest)
    experiments.rename_experiment(req["experiment_id"], req["new_name"])
    return {}


@bp.post("/experiments/delete")
def delete_experiment():
    experiments.delete_experiment(parse(DeleteExperimentRequest)["experiment_id"])
    return {}


@bp.post("/experiments/restore")
def restore_experiment():
    experiments.restore_experiment(parse(RestoreExperimentRequest)["experiment_id"])
    return {}


@bp.post("/experiments/set-experiment-tag")
def set_experiment_tag():
    req = parse(SetExperimentTagRequest)
    experiments.set_experiment_tag(req["experiment_id"], req["key"], req["value"])
    return {}


@bp.post("/experiments/delete-experiment-tag")
def delete_experiment_tag():
    req = parse(DeleteExperimentTagRequest)
    experiments.delete_experiment_tag(req["experiment_id"], req["key"])
    return {}
