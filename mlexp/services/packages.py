"""The package registry: each experiment's artifacts as a package, each run's as a version."""
import os
from dataclasses import dataclass

from sqlalchemy import select

from mlexp import names
from mlexp.artifacts.store import FileInfo
from mlexp.errors import NotFound
from mlexp.extensions import db
from mlexp.models import Experiment, Run
from mlexp.services.artifacts import store
from mlexp.artifacts.upload_files import TEMP_PREFIX
from mlexp.validation import parse_id

@dataclass(frozen=True)
class PackageVersion:
    """One run's artifacts: version = the run's IID."""

    iid: int
    run: Run | None
    file_count: int
    total_bytes: int
    last_update_ms: int


@dataclass(frozen=True)
class Package:
    name: str
    experiment: Experiment | None
    versions: list[PackageVersion]

    @property
    def total_bytes(self) -> int:
        return sum(v.total_bytes for v in self.versions)

    @property
    def last_update_ms(self) -> int:
        return max((v.last_update_ms for v in self.versions), default=0)


def _scan_version(folder: str) -> tuple[int, int, int]:
    count = size = newest = 0
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if name.startswith(TEMP_PREFIX) or not store().holds_file(path):
                continue
            stat = os.stat(path)
            count, size = count + 1, size + stat.st_size
            newest = max(newest, int(stat.st_mtime * 1000))
    return count, size, newest


def _load_package(name: str, experiment: Experiment | None) -> Package:
    folder = store().absolute(name)
    runs = {}
    if experiment is not None:
        runs = {r.iid: r for r in db.session.scalars(select(Run).where(Run.experiment_id == experiment.id))}
    versions = []
    if os.path.isdir(folder):
        for entry in os.scandir(folder):
            if entry.is_dir() and entry.name.isdigit():
                count, size, newest = _scan_version(entry.path)
                if count:
                    iid = int(entry.name)
                    versions.append(PackageVersion(iid, runs.get(iid), count, size, newest))
    return Package(name, experiment, sorted(versions, key=lambda v: v.iid, reverse=True))


def list_packages() -> list[Package]:
    """Every package that holds at least one file, newest activity first."""
    experiments = {e.id: e for e in db.session.scalars(select(Experiment))}
    packages = []
    for entry in store().list_dir(""):
        experiment_id = names.experiment_id_of_package(entry.path)
        if entry.is_dir and experiment_id is not None:
            package = _load_package(entry.path, experiments.get(int(experiment_id)))
            if package.versions:
                packages.append(package)
    return sorted(packages, key=lambda p: p.last_update_ms, reverse=True)


def get_package(name: str) -> Package:
    """Raises: NotFound for a name that is no experiment's package or has no files."""
    number = names.experiment_id_of_package(name)
    if number is None:
        raise NotFound(f"No package named {name!r}")
    experiment_id = parse_id(number)
    experiment = None if experiment_id is None else db.session.get(Experiment, experiment_id)
    package = _load_package(name, experiment)
    if not package.versions:
        raise NotFound(f"Package {name!r} has no versions")
    return package


def get_version_files(name: str, iid: int) -> tuple[Package, PackageVersion, list[FileInfo]]:
    """Raises: NotFound when the package or version does not exist."""
    package = get_package(name)
    version = next((v for v in package.versions if v.iid == iid), None)
    if version is None:
        raise NotFound(f"Package {name!r} has no version {iid}")
    return package, version, store().walk_files(names.version_path(name, iid))


def list_run_files(experiment_id: int, iid: int) -> list[FileInfo]:
    """Every file of the run's package version, folders walked."""
    return store().walk_files(names.run_path(experiment_id, iid))


def read_run_file_start(experiment_id: int, iid: int, path: str, max_bytes: int) -> bytes:
    """The first `max_bytes` of a run's file, for a preview. Raises: NotFound, InvalidParameter."""
    with open(run_file_path(experiment_id, iid, path), "rb") as fh:
        return fh.read(max_bytes)


def run_file_path(experiment_id: int | str, iid: int, path: str) -> str:
    """version_file_path of the run with this IID. Raises: NotFound, InvalidParameter."""
    return version_file_path(names.package_name(experiment_id), iid, path)


def version_file_path(name: str, iid: int, path: str) -> str:
    """Absolute path of one file of a version, for download. Raises: NotFound, InvalidParameter."""
    if names.experiment_id_of_package(name) is None:
        raise NotFound(f"No package named {name!r}")
    return store().file_path(f"{names.version_path(name, iid)}/{path}")
