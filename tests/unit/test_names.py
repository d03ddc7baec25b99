"""Package names, paths and artifact URIs are the wire contract: spelled out literally here."""
import pytest
from sqlalchemy import String, cast
from sqlalchemy.dialects import postgresql, sqlite

from mlexp import names
from mlexp.models import Run
from mlexp.names import PackagePath, parse_package_path


def test_names_and_uris_are_mlflow_artifacts_paths_when_built():
    assert names.package_name(7) == "ml_experiment_7"
    assert names.version_path("ml_experiment_7", 3) == "ml_experiment_7/3"
    assert names.run_path(7, 3) == "ml_experiment_7/3"
    assert names.logged_model_path(7, "m-1f") == "ml_experiment_7/models/m-1f/artifacts"
    assert names.experiment_artifact_location(0) == "mlflow-artifacts:/ml_experiment_0"
    assert names.run_artifact_uri(7, 3) == "mlflow-artifacts:/ml_experiment_7/3"
    assert names.logged_model_artifact_uri(7, "m-1f") == "mlflow-artifacts:/ml_experiment_7/models/m-1f/artifacts"


@pytest.mark.parametrize("uri, path", [
    ("mlflow-artifacts:/ml_experiment_7/3/model", "ml_experiment_7/3/model"),
    ("s3://bucket/ml_experiment_7/3", None),
    ("runs:/abc/model", None),
])
def test_path_of_artifact_uri_is_none_when_uri_is_not_ours(uri, path):
    assert names.path_of_artifact_uri(uri) == path


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()])
def test_run_artifact_uri_in_sql_matches_python_when_rendered(dialect):
    expression = names.run_artifact_uri_expression(cast(Run.experiment_id, String), cast(Run.iid, String))
    rendered = str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    assert rendered == ("'mlflow-artifacts:/ml_experiment_' || CAST(runs.experiment_id AS VARCHAR) || '/' "
                        "|| CAST(runs.iid AS VARCHAR)")
    assert (names.run_artifact_uri_sql("r.experiment_id", "r.iid")
            == "'mlflow-artifacts:/ml_experiment_' || r.experiment_id || '/' || r.iid")


@pytest.mark.parametrize("name, experiment_id", [
    ("ml_experiment_0", "0"), ("ml_experiment_0012", "0012"),
    ("ml_experiment_", None), ("ml_experiment_1a", None), ("ml_experiment_-1", None),
    ("experiment_1", None), ("ml_experiment_1/2", None), ("", None),
])
def test_experiment_id_of_package_is_none_when_name_is_no_package(name, experiment_id):
    assert names.experiment_id_of_package(name) == experiment_id


@pytest.mark.parametrize("relative, expected", [
    ("ml_experiment_1", PackagePath("1")),
    ("ml_experiment_1/2", PackagePath("1", iid="2")),
    ("ml_experiment_1/2/model/MLmodel", PackagePath("1", iid="2", rest="model/MLmodel")),
    ("ml_experiment_1/models", PackagePath("1")),
    ("ml_experiment_1/models/m-1", PackagePath("1", model_id="m-1")),
    ("ml_experiment_1/models/m-1/artifacts/x", PackagePath("1", model_id="m-1", rest="artifacts/x")),
    ("ml_experiment_1/\u0663/x", PackagePath("1")),  # a non-ASCII digit is no run IID
    ("ml_experiment_1/other/x", PackagePath("1")),
    ("elsewhere/1/x", None),
    ("", None),
])
def test_parse_package_path_reads_back_run_and_model_folders_when_given_paths(relative, expected):
    assert parse_package_path(relative) == expected


def test_upload_places_name_both_writable_folders_when_quoted_in_errors():
    assert names.UPLOAD_PLACES == ("ml_experiment_<id>/<run iid>/<file> or "
                                   "ml_experiment_<id>/models/<model id>/<file>")
