"""Permanent removal of soft-deleted runs and experiments, with their package files."""
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from mlexp import names
from mlexp.errors import MlflowError
from mlexp.models import DELETED, Experiment, Run
from mlexp.services.artifacts import store
from mlexp.storage.transaction import write_transaction


@dataclass
class GcReport:
    experiments: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # folders left in place, each with why


def collect_garbage() -> GcReport:
    """Delete every deleted run and experiment for good; touch nothing that is active.

    Rows go first, in one transaction; files follow once it has committed, so a crash leaves
    at worst unreferenced files, never rows pointing at missing files. A folder that is a
    symbolic link loses only the link; one reached through a link is left (and reported).
    """
    report, folders = GcReport(), []
    with write_transaction() as tx:
        session = tx.session
        experiments = list(session.scalars(select(Experiment).where(Experiment.lifecycle_stage == DELETED)))
        gone_experiment_ids = {e.id for e in experiments}
        runs = list(session.scalars(select(Run).where(Run.lifecycle_stage == DELETED)))
        runs += list(session.scalars(select(Run).where(Run.experiment_id.in_(gone_experiment_ids),
                                                       Run.lifecycle_stage != DELETED)))
        for run in runs:
            report.runs.append(f"{run.uuid} ({names.run_path(run.experiment_id, run.iid)})")
            if run.experiment_id not in gone_experiment_ids:
                folders.append(names.run_path(run.experiment_id, run.iid))
        for experiment in experiments:
            report.experiments.append(f"{experiment.id} ({experiment.name})")
            folders.append(names.package_name(experiment.id))
        session.execute(delete(Run).where(Run.id.in_([r.id for r in runs])))
        session.execute(delete(Experiment).where(Experiment.id.in_(gone_experiment_ids)))
    for folder in folders:
        try:
            store().delete(folder, missing_ok=True)
        except (MlflowError, OSError) as exc:
            report.kept.append(f"{folder}: {getattr(exc, 'message', exc)}")
        else:
            report.folders.append(folder)
    return report
