"""The MLflow REST API, served under /api/2.0/mlflow and /ajax-api/2.0/mlflow alike."""
from flask import Blueprint, Flask

from mlexp.api import experiments, logged_models, metrics, mlflow_artifacts, registry, runs
from mlexp.http.paths import API_PREFIXES, ARTIFACT_PREFIXES

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


def register_api(app: Flask) -> None:
    app.register_blueprint(health_bp)
    for bp in (experiments.bp, runs.bp, metrics.bp, mlflow_artifacts.tracking_bp,
               logged_models.bp, registry.bp):
        for name, prefix in API_PREFIXES.items():
            app.register_blueprint(bp, url_prefix=prefix, name=f"{name}_{bp.name}")
    for name, prefix in ARTIFACT_PREFIXES.items():
        app.register_blueprint(mlflow_artifacts.bp, url_prefix=prefix,
                               name=f"{name}_{mlflow_artifacts.bp.name}")
