"""Artifacts as packages: one package per experiment, version = run IID, files on disk.

The mlflow-artifacts API addresses files by their path below the packages root (names.py spells
it); writes are allowed only into the package version of an active run in an active experiment.
"""
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from mlexp import names
from mlexp.artifacts.store import ArtifactStore, FileInfo, safe_relative_path
from mlexp.errors import InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ACTIVE, Run
from mlexp.services.experiments import get_experiment
from mlexp.services.logged_models import get_logged_model
from mlexp.services.runs import get_run_row
from mlexp.artifacts.upload_files import SpooledBody
from mlexp.validation import parse_id

def store() -> ArtifactStore:
    return current_app.extensions["mlexp.artifacts.store"]


def _check_writable(relative: str) -> None:
    """`relative` must point into an active run's package version or a logged model's folder.

    Raises:
        InvalidParameter: not such a place, or the run/experiment is deleted.
        NotFound: the experiment, run or logged model does not exist.
    """
    place = names.parse_package_path(relative)
    if place and place.model_id is not None and place.rest:
        experiment = get_experiment(place.experiment_id)
        model = get_logged_model(place.model_id)
        if model.experiment_id != experiment.id or experiment.lifecycle_stage != ACTIVE:
            raise InvalidParameter(f"Cannot write artifacts of logged model {place.model_id} here")
        return
    if not place or place.iid is None or not place.rest:
        raise InvalidParameter(f"Invalid artifact path {relative!r}: uploads go to {names.UPLOAD_PLACES}")
    experiment = get_experiment(place.experiment_id)
    iid = parse_id(place.iid)
    run = None if iid is None else db.session.scalar(
        select(Run).where(Run.experiment_id == experiment.id, Run.iid == iid))
    if run is None:
        raise NotFound(f"No run {place.iid} in experiment {experiment.id}")
    if experiment.lifecycle_stage != ACTIVE or run.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"Cannot write artifacts of run {run.uuid}: the run or its experiment is deleted"
        )


def upload_artifact(path: str, body: "Iterable[bytes] | SpooledBody") -> int:
    """Put an upload into place atomically; returns the size written.

    Raises:
        InvalidParameter: unsafe path, not a run's package, deleted run, or too large.
        NotFound: unknown experiment or run.
    """
    relative = safe_relative_path(path)
    _check_writable(relative)
    db.session.rollback()  # release the read snapshot while the body streams in
    return store().save(relative, body, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])


def artifact_file(path: str) -> str:
    """Absolute path of a stored file, for download.

    Raises:
        InvalidParameter: unsafe path.  NotFound: no such file.
    """
    return store().file_path(safe_relative_path(path))


def list_artifacts(path: str | None) -> list[FileInfo]:
    """Entries of a folder below the packages root (names only, as MLflow lists them)."""
    return store().list_dir(safe_relative_path(path))


def delete_artifact(path: str) -> None:
    """Raises: InvalidParameter (unsafe path, deleted run), NotFound."""
    relative = safe_relative_path(path)
    _check_writable(relative)
    store().delete(relative)


def list_run_artifacts(run_id: str, path: str | None) -> tuple[str, list[FileInfo]]:
    """The run's artifact_uri and the entries below `path`, with paths relative to the run root.

    Raises:
        NotFound: no such run.  InvalidParameter: unsafe path.
    """
    run = get_run_row(run_id)
    return run.artifact_uri, _list_below(names.run_path(run.experiment_id, run.iid), path)


def list_logged_model_artifacts(model_id: str, path: str | None) -> tuple[str, list[FileInfo]]:
    """The model's artifact_uri and the entries below `path`, relative to the model's root.

    Raises:
        NotFound: no such logged model.  InvalidParameter: unsafe path.
    """
    model = get_logged_model(model_id)
    base = names.logged_model_path(model.experiment_id, model.model_id)
    return model.artifact_uri, _list_below(base, path)


def list_files_at_uri(uri: str) -> list[FileInfo]:
    """Every file below an mlflow-artifacts URI, folders walked; none for a URI stored elsewhere."""
    path = names.path_of_artifact_uri(uri)
    return [] if path is None else store().walk_files(path)


def _list_below(base: str, path: str | None) -> list[FileInfo]:
    """Entries of base/path, named relative to base (as MLflow's tracking listing names them)."""
    sub = safe_relative_path(path)
    entries = store().list_dir(f"{base}/{sub}" if sub else base)
    prefix = f"{sub}/" if sub else ""
    return [FileInfo(prefix + e.path, e.is_dir, e.file_size) for e in entries]
