"""Package names, package paths and artifact URIs: the only place ml_experiment_<id>/<iid> is spelled.

An experiment's files are the package ml_experiment_<id> below the packages root; a run's are
its version <iid>, a logged model's sit in models/<model_id>/artifacts, and the MLflow client
reaches them as mlflow-artifacts:/<path>. Every string here is on the wire and names folders
on disk: changing one strands existing files and clients.
"""
import re
from dataclasses import dataclass

ARTIFACT_URI_SCHEME = "mlflow-artifacts:/"
_PACKAGE_PREFIX = "ml_experiment_"
_PACKAGE = re.compile(rf"^{_PACKAGE_PREFIX}(\d+)$")
_LOGGED_MODELS = "models"


def package_name(experiment_id: int | str) -> str:
    """The experiment's package, which is also the top folder of its files."""
    return f"{_PACKAGE_PREFIX}{experiment_id}"


def version_path(package: str, iid: int | str) -> str:
    """The folder of one package version: the files of the run with that IID."""
    return f"{package}/{iid}"


def run_path(experiment_id: int | str, iid: int | str) -> str:
    return version_path(package_name(experiment_id), iid)


def logged_model_path(experiment_id: int | str, model_id: str) -> str:
    return f"{package_name(experiment_id)}/{_LOGGED_MODELS}/{model_id}/artifacts"


# For messages that tell a client where it may upload.
UPLOAD_PLACES = (f"{run_path('<id>', '<run iid>')}/<file> or "
                 f"{package_name('<id>')}/{_LOGGED_MODELS}/<model id>/<file>")


def artifact_uri(path: str) -> str:
    """The URI the MLflow client resolves against the tracking server to reach `path`."""
    return ARTIFACT_URI_SCHEME + path


def path_of_artifact_uri(uri: str) -> str | None:
    """The path below the packages root an mlflow-artifacts URI names; None for any other URI."""
    return uri.removeprefix(ARTIFACT_URI_SCHEME) if uri.startswith(ARTIFACT_URI_SCHEME) else None


def experiment_artifact_location(experiment_id: int | str) -> str:
    return artifact_uri(package_name(experiment_id))


def run_artifact_uri(experiment_id: int | str, iid: int | str) -> str:
    return artifact_uri(run_path(experiment_id, iid))


def logged_model_artifact_uri(experiment_id: int | str, model_id: str) -> str:
    return artifact_uri(logged_model_path(experiment_id, model_id))


def run_artifact_uri_expression(experiment_id, iid):
    """run_artifact_uri over SQLAlchemy text expressions (their + renders as ||), to filter and sort on."""
    return ARTIFACT_URI_SCHEME + _PACKAGE_PREFIX + experiment_id + "/" + iid


def run_artifact_uri_sql(experiment_id: str, iid: str) -> str:
    """run_artifact_uri as raw SQL over two column references; || joins text on SQLite and PostgreSQL."""
    return f"'{ARTIFACT_URI_SCHEME}{_PACKAGE_PREFIX}' || {experiment_id} || '/' || {iid}"


def experiment_id_of_package(name: str) -> str | None:
    """The experiment id in a package name, digits as written; None when `name` is no package."""
    match = _PACKAGE.match(name)
    return match.group(1) if match else None


@dataclass(frozen=True)
class PackagePath:
    """A path below the packages root, read back; ids are as written, not yet looked up."""

    experiment_id: str
    iid: str | None = None  # set when the path is a run's version folder or below it
    model_id: str | None = None  # set when the path is a logged model's folder or below it
    rest: str = ""  # the part below the run's or logged model's folder


def parse_package_path(relative: str) -> PackagePath | None:
    """Whose files a path holds; None when its top folder is not a package."""
    parts = relative.split("/")
    experiment_id = experiment_id_of_package(parts[0])
    if experiment_id is None:
        return None
    if len(parts) >= 2 and parts[1].isascii() and parts[1].isdigit():
        return PackagePath(experiment_id, iid=parts[1], rest="/".join(parts[2:]))
    if len(parts) >= 3 and parts[1] == _LOGGED_MODELS:
        return PackagePath(experiment_id, model_id=parts[2], rest="/".join(parts[3:]))
    return PackagePath(experiment_id)
