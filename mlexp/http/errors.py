"""Every failure leaves through here: MLflow's error JSON on API paths, a page elsewhere.

`error_json` is the one rendering of MLflow's error body, for Flask's handlers, the logging fast
lane and waitress's own errors (http/serve.py) alike. Whatever is raised (a domain error, an
HTTP error from routing or Werkzeug, a value the database refuses, a bug) becomes an MlflowError
first, so the API answers in one shape; pages are rendered by the renderer create_app hands in
(web/errors.py), so http/ never imports web/.
"""
import logging
from collections.abc import Callable

from flask import Flask, current_app, request
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from mlexp.errors import EndpointNotFound, InvalidParameter, MlflowError, Unauthenticated
from mlexp.http.paths import is_api_path
from mlexp.http.json_provider import json_bytes

log = logging.getLogger("mlexp.errors")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="mlexp"'}  # with every 401 on the API


def error_json(error: MlflowError) -> bytes:
    """MLflow's error body, byte for byte as Flask's JSON responses end (a newline)."""
    return json_bytes(error.to_json()) + b"\n"


def api_error_response(error: MlflowError):
    return current_app.response_class(error_json(error), status=error.http_status,
                                      mimetype="application/json",
                                      headers=CHALLENGE if isinstance(error, Unauthenticated) else None)


def as_mlflow_error(error: Exception, method: str, path: str) -> MlflowError:
    """What the client is told of any failure that is not an HTTP error: a domain error as it is,
    a value the database refuses (on PostgreSQL: out of a column's range, a NUL character…) as
    the request's fault in the database's words, and anything else as an internal error, logged."""
    if isinstance(error, MlflowError):
        return error
    if isinstance(error, DataError):
        return InvalidParameter(f"A value cannot be stored: {error.orig}".strip())
    log.error("Unhandled error on %s %s", method, path, exc_info=error)
    return MlflowError(f"Internal error: {type(error).__name__}")


def from_http_error(error: HTTPException) -> MlflowError:
    """An HTTP error as MLflow's client understands it, keeping a 4xx status that says more."""
    if error.code == 404:
        return EndpointNotFound(f"No API endpoint at {request.path}")
    if error.code == 405:
        return EndpointNotFound(f"{request.method} is not allowed on {request.path}", status=405)
    if error.code == 413:
        limit = request.max_content_length
        where = f" (limit {limit:,} bytes)" if limit else ""
        return InvalidParameter(f"Request body too large{where}: {error.description}")
    if error.code == 400:
        return InvalidParameter(f"Bad request: {error.description}")
    if error.code is not None and 400 <= error.code < 500:
        return InvalidParameter(error.description, status=error.code)  # e.g. 416, a Range past the end
    return MlflowError(error.description, status=error.code)


def register_error_handlers(app: Flask, render_page: Callable[[MlflowError], object]) -> None:
    """Flask's handlers: the API answers MLflow's JSON, pages answer what `render_page` makes."""

    def domain_error(error: MlflowError):
        return api_error_response(error) if is_api_path(request.path) else render_page(error)

    def http_error(error: HTTPException):
        if is_api_path(request.path):
            return api_error_response(from_http_error(error))
        if error.code == 404:
            return render_page(EndpointNotFound(f"Nothing at {request.path}"))
        return error  # Werkzeug's own page (a stale form's 400, a 405…)

    def any_error(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        return domain_error(as_mlflow_error(error, request.method, request.path))

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Exception, any_error)
