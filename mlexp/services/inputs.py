"""Run inputs and outputs: the datasets a run used (MLflow's LogInputs / LogOutputs)."""
from sqlalchemy import select

from mlexp.models import Dataset, InputTag, RunInput, RunModelLink
from mlexp.services.logged_models import get_logged_model
from mlexp.services.runs import get_active_run
from mlexp.storage.transaction import write_transaction
from mlexp.validation import validate_dataset_inputs

CONTEXT_TAG = "mlflow.data.context"


def _link_models(session, run, models: list[dict], direction: str) -> None:
    """Link existing logged models to the run as inputs or outputs. Raises: NotFound."""
    for item in models:
        get_logged_model(item["model_id"])
        session.merge(RunModelLink(run_id=run.id, model_id=item["model_id"], direction=direction,
                                   step=item.get("step", 0)))


def log_inputs(run_id: str, datasets: list[dict], models: list[dict]) -> None:
    """Record datasets (created once per experiment by name and digest) as the run's inputs.

    Raises:
        NotFound: no such run, or a model input names no logged model.
        InvalidParameter: too many or malformed datasets, or the run is deleted.
    """
    validate_dataset_inputs(datasets)
    with write_transaction() as tx:
        session = tx.session
        run = get_active_run(run_id)
        _link_models(session, run, models, "input")
        for item in datasets:
            fields = item["dataset"]
            dataset = session.scalar(select(Dataset).where(
                Dataset.experiment_id == run.experiment_id, Dataset.name == fields["name"],
                Dataset.digest == fields["digest"]))
            if dataset is None:
                dataset = Dataset(experiment_id=run.experiment_id, name=fields["name"],
                                  digest=fields["digest"], source_type=fields["source_type"],
                                  source=fields["source"], schema=fields.get("schema"),
                                  profile=fields.get("profile"))
                session.add(dataset)
                session.flush()
            run_input = session.scalar(select(RunInput).where(
                RunInput.run_id == run.id, RunInput.dataset_id == dataset.id))
            if run_input is not None:
                continue  # logged before: the first input and its tags stay, as in MLflow
            run_input = RunInput(run_id=run.id, dataset_id=dataset.id)
            session.add(run_input)
            session.flush()
            for tag in {t["key"]: t for t in item.get("tags", [])}.values():
                session.add(InputTag(input_id=run_input.id, key=tag["key"], value=tag["value"]))


def log_outputs(run_id: str, models: list[dict]) -> None:
    """Record logged models the run produced, at a step.

    Raises:
        NotFound: no such run, or a model that does not exist.
        InvalidParameter: the run is deleted.
    """
    with write_transaction() as tx:
        run = get_active_run(run_id)
        _link_models(tx.session, run, models, "output")
