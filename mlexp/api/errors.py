"""Every API failure leaves as MLflow's error JSON: {"error_code", "message"}."""
import logging

from flask import Flask, redirect, request, url_for
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from mlexp.errors import EndpointNotFound, ErrorCode, InvalidParameter, MlflowError, Unauthenticated
from mlexp.http.paths import is_api_path

log = logging.getLogger(__name__)


def _is_api_request() -> bool:
    return is_api_path(request.path)


def mlflow_error_response(error: MlflowError):
    return error.to_json(), error.http_status


def _domain_error(error: MlflowError):
    """API callers get MLflow's JSON; people on pages get an error page, or the log-in page
    when they have not logged in."""
    if _is_api_request():
        if isinstance(error, Unauthenticated):
            return (*mlflow_error_response(error), {"WWW-Authenticate": 'Bearer realm="mlexp"'})
        return mlflow_error_response(error)
    if isinstance(error, Unauthenticated):
        return redirect(url_for("session.login", next=request.full_path.rstrip("?")))
    from mlexp.web.errors import render_error_page

    return render_error_page(error)


def _http_error(error: HTTPException):
    if not _is_api_request():
        if error.code == 404:
            from mlexp.web.errors import render_error_page

            return render_error_page(EndpointNotFound(f"Nothing at {request.path}"))
        return error
    if error.code == 404:
        return mlflow_error_response(EndpointNotFound(f"No API endpoint at {request.path}"))
    if error.code == 405:
        body = EndpointNotFound(f"{request.method} is not allowed on {request.path}").to_json()
        return body, 405
    if error.code == 413:
        limit = request.max_content_length
        where = f" (limit {limit:,} bytes)" if limit else ""
        return mlflow_error_response(InvalidParameter(f"Request body too large{where}: "
                                                      f"{error.description}"))
    if error.code == 400:
        return mlflow_error_response(InvalidParameter(f"Bad request: {error.description}"))
    if error.code is not None and 400 <= error.code < 500:
        # The client's fault (e.g. 416 for a Range past the end): keep the status it explains.
        return InvalidParameter(error.description).to_json(), error.code
    return {"error_code": ErrorCode.INTERNAL_ERROR.value, "message": error.description}, error.code


def _unstorable_value(error: DataError):
    """A value the database refuses (on PostgreSQL: out of a column's range, a NUL character…)
    is the request's fault; say what the database said."""
    return _domain_error(InvalidParameter(f"A value cannot be stored: {error.orig}".strip()))


def _unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return _http_error(error)
    log.exception("Unhandled error on %s %s", request.method, request.path)
    return {"error_code": ErrorCode.INTERNAL_ERROR.value,
            "message": f"Internal error: {type(error).__name__}"}, 500


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(MlflowError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DataError, _unstorable_value)
    app.register_error_handler(Exception, _unexpected_error)
