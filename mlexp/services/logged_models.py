"""MLflow 3 logged models. None can be created yet, so every search is truthfully empty."""
from mlexp.services.experiments import get_experiment


def search_logged_models(experiment_ids: list[str]) -> list:
    """The logged models of these experiments: none exist on this server yet.

    Raises:
        NotFound: an experiment id names no experiment.
    """
    for experiment_id in experiment_ids:
        get_experiment(experiment_id)
    return []
