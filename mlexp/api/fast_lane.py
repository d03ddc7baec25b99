"""The logging fast lane: `mlflow.log_metric` and `log_batch` calls answered beside Flask.

A training loop waits on every `mlflow.log_metric`. Measured on a keep-alive connection, Flask's
request machinery (contexts, routing, hooks, the Response object) took ~0.7 ms of the ~2.6 ms
the server spent on such a call, as much as the database write itself.

The lane sits behind the gate (http/gate.py), which has already admitted the request: host,
origin, access and body size are decided there, for the lane and Flask alike. A request takes the
lane only when Flask would do nothing but parse it and call the service: a POST to one of LANES
with a body of known length and a body the route's fast reader accepts. Anything else goes on to
Flask untouched, its body re-wound, and Flask answers it as always. The lane answers what Flask
would: `{}`, or MLflow's error JSON for a domain error, with the same headers. An unexpected error
is passed on to Flask, which runs the call again and answers as it does for any error; the
logging calls are all-or-nothing and idempotent, so that second run starts from the same state.
"""
from __future__ import annotations

import io
from collections.abc import Callable

from flask import Flask
from werkzeug.http import HTTP_STATUS_CODES

from mlexp.http.access_log import log_request
from mlexp.api.parsing import json_object
from mlexp.api.runs import record_batch, record_metric
from mlexp.errors import MlflowError
from mlexp.http.errors import error_json
from mlexp.http.headers import HEADERS
from mlexp.http.paths import API_PREFIXES
from mlexp.schemas.runs import fast_log_batch, fast_log_metric

# Route under each API prefix → (its fast reader: body → request or None, its service call).
LANES: dict[str, tuple[Callable[[dict], dict | None], Callable[[dict], None]]] = {
    "/runs/log-metric": (fast_log_metric, record_metric),
    "/runs/log-batch": (fast_log_batch, record_batch),
}
OK_BODY = b"{}\n"  # what Flask sends for a view's `return {}` (OrjsonProvider adds the newline)


class _PassOn(Exception):
    """This request is Flask's to answer."""


class LoggingFastLane:
    """WSGI behind the gate, in front of Flask (installed by create_app)."""

    def __init__(self, app: Flask, flask_wsgi_app):
        self.app = app
        self.flask_wsgi_app = flask_wsgi_app
        self.access_log = app.config["ACCESS_LOG"]  # as Flask's after_request hook, set at start
        self.lanes = {prefix + route: lane for prefix in API_PREFIXES.values()
                      for route, lane in LANES.items()}

    def __call__(self, environ, start_response):
        lane = self.lanes.get(environ.get("PATH_INFO")) if environ["REQUEST_METHOD"] == "POST" else None
        if lane is None:
            return self.flask_wsgi_app(environ, start_response)
        try:
            status, body = self._answer(environ, *lane)
        except _PassOn:
            return self.flask_wsgi_app(environ, start_response)
        start_response(f"{status} {HTTP_STATUS_CODES[status].upper()}", [
            ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
            *HEADERS.items()])
        if self.access_log:
            query = environ.get("QUERY_STRING")
            log_request("POST", environ["PATH_INFO"] + (f"?{query}" if query else ""), status)
        return [body]

    def _answer(self, environ, read_fast, record) -> tuple[int, bytes]:
        """Status and body, or _PassOn (the request's body re-wound for Flask)."""
        length = environ.get("CONTENT_LENGTH")
        if not length or not length.isdigit():
            raise _PassOn
        raw = environ["wsgi.input"].read(int(length))  # within the gate's limit
        environ["wsgi.input"] = io.BytesIO(raw)
        with self.app.app_context():
            try:
                req = read_fast(json_object(raw))
            except MlflowError:
                req = None
            if req is None:
                raise _PassOn
            try:
                record(req)
            except MlflowError as error:
                return error.http_status, error_json(error)
            except Exception:
                raise _PassOn from None
        return 200, OK_BODY
