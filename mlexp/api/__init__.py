"""The MLflow REST API, served under /api/2.0/mlflow and /ajax-api/2.0/mlflow alike."""
from flask import Blueprint, Flask

from mlexp.api import experiments, metrics, runs

API_PREFIXES = {"api": "/api/2.0/mlflow", "ajax": "/ajax-api/2.0/mlflow"}

health_bp = Blueprint("health", __name__)


@health_bp.get("/health")
def health():
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


def register_api(app: Flask) -> None:
    app.register_blueprint(health_bp)
    for module in (experiments, runs, metrics):
        for name, prefix in API_PREFIXES.items():
            app.register_blueprint(module.bp, url_prefix=prefix, name=f"{name}_{module.bp.name}")
