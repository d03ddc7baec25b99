"""The MLflow REST API, served under /api/2.0/mlflow and /ajax-api/2.0/mlflow alike, and the
server's own probes: /health, /version and server-info."""
from flask import Blueprint, Flask

from mlexp.api import experiments, logged_models, metrics, mlflow_artifacts, registry, runs
from mlexp.http.paths import API_PREFIXES, ARTIFACT_PREFIXES

# The MLflow server release whose REST API mlexp answers as (the client tests run against it).
# Clients read it from /version to pick their code path (3.17's tracing exporter needs >= 3.4).
MLFLOW_API_VERSION = "3.17.2"
_TEXT = {"Content-Type": "text/plain; charset=utf-8"}

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    return "OK", 200, _TEXT


@health_bp.get("/version")
def version():
    return MLFLOW_API_VERSION, 200, _TEXT


@health_bp.get("/api/3.0/mlflow/server-info", endpoint="server_info")
@health_bp.get("/ajax-api/3.0/mlflow/server-info", endpoint="ajax_server_info")
def server_info():
    """How the server is set up, as MLflow's server-info answers it (read before logging in):
    a SQL store; no workspaces, trace archival, multipart or presigned transfers, AI gateway."""
    return {"store_type": "SqlStore", "workspaces_enabled": False, "trace_archival_enabled": False,
            "multipart_uploads_enabled": False, "multipart_downloads_enabled": False,
            "presigned_upload_run_id_supported": False, "presigned_upload_model_id_supported": False,
            "features_enabled": {"gateway": False}}


def register_api(app: Flask) -> None:
    app.register_blueprint(health_bp)
    for bp in (experiments.bp, runs.bp, metrics.bp, mlflow_artifacts.tracking_bp,
               logged_models.bp, registry.bp):
        for name, prefix in API_PREFIXES.items():
            app.register_blueprint(bp, url_prefix=prefix, name=f"{name}_{bp.name}")
    for name, prefix in ARTIFACT_PREFIXES.items():
        app.register_blueprint(mlflow_artifacts.bp, url_prefix=prefix,
                               name=f"{name}_{mlflow_artifacts.bp.name}")
