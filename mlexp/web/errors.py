"""Error pages for people (the API answers with MLflow's JSON instead: http/errors.py)."""
from flask import redirect, render_template, request, url_for

from mlexp.errors import MlflowError, Unauthenticated


def render_error_page(error: MlflowError):
    """The error's page with its status; someone not logged in is sent to log in and back."""
    if isinstance(error, Unauthenticated):
        return redirect(url_for("session.login", next=request.full_path.rstrip("?")))
    status = error.http_status
    template = "errors/404.html" if status == 404 else "errors/error.html"
    return render_template(template, message=error.message, status=status), status
