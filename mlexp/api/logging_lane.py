"""The logging lane: `runs/log-metric` and `runs/log-batch` are served here, and only here.

A training loop waits on every `mlflow.log_metric`. Flask's request machinery (contexts,
routing, hooks, the Response object) cost ~160 µs of CPU a call beside ~400 µs for all the
rest (in-process, this stop), so these two endpoints are answered by this WSGI app in front of
Flask instead of by Flask routes: one path per endpoint, without Flask's. What Flask would add is
added here: the security headers, the access-log line, MLflow's error JSON (http/errors.py) for
any failure, 405 for other methods.

The lane sits behind the gate (http/gate.py): every request it sees has been admitted (host,
origin, access, body size); refused ones go to Flask, which answers refusals for every path.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from mlexp.api import runs
from mlexp.api.parsing import json_object
from mlexp.errors import EndpointNotFound, InvalidParameter
from mlexp.http.access_log import log_request
from mlexp.http.errors import as_mlflow_error, error_json
from mlexp.http.gate import ADMISSION
from mlexp.http.headers import HEADERS
from mlexp.http.paths import API_PREFIXES

# Route under each API prefix → the endpoint: the request's JSON object → None, or a domain error.
LANES: dict[str, Callable[[dict], None]] = {
    "/runs/log-metric": runs.log_metric,
    "/runs/log-batch": runs.log_batch,
}
OK_BODY = b"{}\n"  # what Flask sends for a view's `return {}` (OrjsonProvider adds the newline)
ALLOWED = "OPTIONS, POST"


def lane_paths() -> dict[str, Callable[[dict], None]]:
    """Every path the lane serves (both API prefixes), for the app and for tests that list routes."""
    return {prefix + route: endpoint for prefix in API_PREFIXES.values() for route, endpoint in LANES.items()}


class LoggingLane:
    """WSGI in front of Flask (create_app installs it behind the gate)."""

    def __init__(self, app: Flask, flask_wsgi_app):
        self.app = app
        self.flask_wsgi_app = flask_wsgi_app
        self.access_log = app.config["ACCESS_LOG"]  # as Flask's after_request hook, set at start
        self.lanes = lane_paths()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO")
        endpoint = self.lanes.get(path)
        if endpoint is None:
            return self.flask_wsgi_app(environ, start_response)
        method = environ["REQUEST_METHOD"]
        headers = [("Content-Type", "application/json")]
        if method == "POST":
            status, body = self._serve(environ, endpoint)
        elif method == "OPTIONS":
            status, body, headers = 200, b"", [("Allow", ALLOWED), ("Content-Type", "text/html; charset=utf-8")]
        else:
            status, body = 405, error_json(EndpointNotFound(f"{method} is not allowed on {path}", status=405))
        start_response(f"{status} {HTTP_STATUS_CODES[status].upper()}",
                       [*headers, ("Content-Length", str(len(body))), *HEADERS.items()])
        if self.access_log:
            query = environ.get("QUERY_STRING")
            log_request(method, path + (f"?{query}" if query else ""), status)
        return [body]

    def _serve(self, environ, endpoint) -> tuple[int, bytes]:
        """Status and body of the endpoint's answer to the request's JSON body."""
        with self.app.app_context():
            try:
                endpoint(json_object(self._body(environ)))
            except Exception as exc:  # noqa: BLE001  (every failure is answered, as Flask answers it)
                error = as_mlflow_error(exc, "POST", environ.get("PATH_INFO", ""))
                return error.http_status, error_json(error)
        return 200, OK_BODY

    @staticmethod
    def _body(environ) -> bytes:
        """The body, at most the gate's limit (a chunked one under gunicorn has no length).

        Raises:
            InvalidParameter: a body running past the limit.
        """
        limit = environ[ADMISSION].body_limit
        length = environ.get("CONTENT_LENGTH") or ""
        raw = environ["wsgi.input"].read(int(length) if length.isdigit() else limit + 1)
        if len(raw) > limit:
            raise InvalidParameter(f"Request body too large: this server takes JSON bodies of up to {limit:,} bytes")
        return raw
