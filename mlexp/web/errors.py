"""Error pages for people; the API answers with MLflow's JSON instead (see api/errors.py)."""
from flask import render_template

from mlexp.errors import MlflowError


def render_error_page(error: MlflowError):
    status = error.http_status
    template = "errors/404.html" if status == 404 else "errors/error.html"
    return render_template(template, message=error.message, status=status), status
