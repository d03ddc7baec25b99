"""Artifacts as packages: package ml_experiment_<id>, version = run IID, files on disk.

The mlflow-artifacts API addresses files as `ml_experiment_<id>/<iid>/<path>`; writes are
allowed only into the package version of an active run in an active experiment.
"""
import re
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import select

from mlexp.artifact_store import ArtifactStore, FileInfo, safe_relative_path
from mlexp.errors import InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ACTIVE, Run
from mlexp.services.experiments import get_experiment
from mlexp.services.runs import get_run_row

_PACKAGE = re.compile(r"^ml_experiment_(\d+)$")


def store() -> ArtifactStore:
    return current_app.extensions["mlexp.artifact_store"]


def _writable_run(relative: str) -> Run:
    """The active run whose package version `relative` points into.

    Raises:
        InvalidParameter: not inside a run's package version, or the run/experiment is deleted.
        NotFound: the experiment or run does not exist.
    """
    parts = relative.split("/")
    match = _PACKAGE.match(parts[0]) if parts else None
    if not match or len(parts) < 3 or not parts[1].isdigit():
        raise InvalidParameter(
            f"Invalid artifact path {relative!r}: uploads go to ml_experiment_<id>/<run iid>/<file>"
        )
    experiment = get_experiment(match.group(1))
    run = db.session.scalar(select(Run).where(Run.experiment_id == experiment.id,
                                              Run.iid == int(parts[1])))
    if run is None:
        raise NotFound(f"No run {parts[1]} in experiment {experiment.id}")
    if experiment.lifecycle_stage != ACTIVE or run.lifecycle_stage != ACTIVE:
        raise InvalidParameter(
            f"Cannot write artifacts of run {run.uuid}: the run or its experiment is deleted"
        )
    return run


def upload_artifact(path: str, chunks: Iterable[bytes]) -> int:
    """Stream an upload into place atomically; returns the size written.

    Raises:
        InvalidParameter: unsafe path, not a run's package, deleted run, or too large.
        NotFound: unknown experiment or run.
    """
    relative = safe_relative_path(path)
    _writable_run(relative)
    db.session.rollback()  # release the read snapshot while the body streams in
    return store().save(relative, chunks, max_bytes=current_app.config["MAX_UPLOAD_BYTES"])


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
    _writable_run(relative)
    store().delete(relative)


def list_run_artifacts(run_id: str, path: str | None) -> tuple[str, list[FileInfo]]:
    """The run's artifact_uri and the entries below `path`, with paths relative to the run root.

    Raises:
        NotFound: no such run.  InvalidParameter: unsafe path.
    """
    run = get_run_row(run_id)
    sub = safe_relative_path(path)
    base = f"ml_experiment_{run.experiment_id}/{run.iid}"
    entries = store().list_dir(f"{base}/{sub}" if sub else base)
    prefix = f"{sub}/" if sub else ""
    return run.artifact_uri, [FileInfo(prefix + e.path, e.is_dir, e.file_size) for e in entries]
