"""The gate: every request is admitted or refused here, from its request line and headers alone.

Host (DNS rebinding), Origin (cross-site writes), access (tokens, page sessions, scopes), body
size and, for the JSON API, the body's media type are all decided before a byte of the body is
read. Under `python app.py` waitress asks the gate as soon as the headers are in (http/serve.py),
so a refused body is never received, let alone spooled; any other server (gunicorn, the test
client) reaches GateMiddleware first, before anything reads the body.

A refusal is not answered here: the request goes on to Flask with its refusal, and Flask's
error handlers answer it as they answer any error (MLflow's error JSON on the API, a page or a
redirect to the log-in page elsewhere). Only an admitted request reaches the logging lane.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, g, request

from mlexp.artifacts.store import UploadTooLarge
from mlexp.errors import InvalidParameter, MlflowError, PermissionDenied, Unauthenticated
from mlexp.http import paths
from mlexp.http.access import AccessState, credentials_from, session_key_from
from mlexp.http.origins import CROSS_ORIGIN_MESSAGE, INVALID_HOST_MESSAGE, OriginPolicy
from mlexp.services.tokens import Principal

ADMISSION = "mlexp.admission"  # the WSGI environ key of a request's Admission
JSON_TYPES = ("application/json",)
CORS_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type"


@dataclass(frozen=True)
class RequestHead:
    """What the gate decides from: the request line and the headers that matter."""

    method: str
    path: str
    host: str | None = None
    origin: str | None = None
    authorization: str | None = None
    cookie: str | None = None
    content_type: str | None = None
    content_length: int = 0
    chunked: bool = False
    preflight: bool = False  # an OPTIONS with Access-Control-Request-Method

    @classmethod
    def from_environ(cls, environ) -> RequestHead:
        length = environ.get("CONTENT_LENGTH") or "0"
        return cls(
            method=environ["REQUEST_METHOD"], path=environ.get("PATH_INFO", ""),
            host=environ.get("HTTP_HOST"), origin=environ.get("HTTP_ORIGIN"),
            authorization=environ.get("HTTP_AUTHORIZATION"), cookie=environ.get("HTTP_COOKIE"),
            content_type=environ.get("CONTENT_TYPE"),
            content_length=int(length) if length.isdigit() else 0,
            chunked="chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower(),
            preflight=environ["REQUEST_METHOD"] == "OPTIONS"
            and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ)

    @property
    def has_body(self) -> bool:
        return self.content_length > 0 or self.chunked


@dataclass(frozen=True)
class Admission:
    """The gate's answer: the principal (None while access is open), the most body bytes the
    request may send, or the error it is refused with."""

    principal: Principal | None = None
    body_limit: int = 0
    refusal: MlflowError | None = None
    preflight: bool = False


class Gate:
    """One per app (app.extensions["mlexp.gate"]); `admit` is pure apart from the access facts."""

    def __init__(self, app: Flask, access: AccessState):
        self.app = app
        self.access = access
        self.config = app.config
        self.policy = OriginPolicy.from_config(app.config)
        self._hosts: dict[str, bool] = {}

    def admit(self, head: RequestHead) -> Admission:
        try:
            return self._admit(head)
        except MlflowError as error:
            return Admission(refusal=error)

    def _admit(self, head: RequestHead) -> Admission:
        if head.path not in paths.HEALTH_PATHS and not self._host_allowed(head.host):
            raise PermissionDenied(INVALID_HOST_MESSAGE.format(host=(head.host or "")[:200]))
        if paths.changes_state(head.method) and not self.policy.origin_allowed(head.origin, head.host):
            raise PermissionDenied(CROSS_ORIGIN_MESSAGE.format(origin=(head.origin or "")[:200]))
        if head.preflight and paths.is_api_path(head.path) and self.cors_origin(head.origin, head.host):
            return Admission(preflight=True)
        principal = self._principal(head)
        limit = int(self.config["MAX_UPLOAD_BYTES" if paths.is_upload(head.method, head.path)
                                else "MAX_JSON_BYTES"])
        if head.content_length > limit:
            raise self._too_large(head, limit)
        if head.has_body and paths.takes_json(head.path):
            media_type = (head.content_type or "").partition(";")[0].strip().lower()
            if media_type not in JSON_TYPES and not media_type.endswith("+json"):
                raise InvalidParameter(
                    f"The request body must be JSON sent with Content-Type: application/json "
                    f"(this one says {head.content_type or 'nothing'!r})")
        return Admission(principal=principal, body_limit=limit)

    def _host_allowed(self, host: str | None) -> bool:
        known = self._hosts.get(host or "")
        if known is None:
            known = self.policy.host_allowed(host)
            if len(self._hosts) < 1024:  # names seen are few; made-up ones are not remembered
                self._hosts[host or ""] = known
        return known

    def _principal(self, head: RequestHead) -> Principal | None:
        """Raises: Unauthenticated (no live credentials), PermissionDenied (a read token writing)."""
        if paths.is_open(head.path) or not self.access.auth_required():
            return None
        facts = self.access.facts()
        token = credentials_from(head.authorization)
        if token is not None:
            principal = facts.principal_of_token(token)
        elif not paths.is_api_path(head.path):  # a page's cookie never authenticates the API
            key = session_key_from(self.app, head.cookie)
            principal = facts.principal_of_session(key) if key else None
        else:
            principal = None
        if head.path == paths.LOGOUT_PATH:
            return principal  # log-out always works, also for a session that already ended
        if principal is None:
            raise Unauthenticated("A valid token is required: set MLFLOW_TRACKING_TOKEN, or log in"
                                  if token is None else "The token is unknown or has been revoked")
        if paths.is_write(head.method, head.path) and not principal.can_write:
            raise PermissionDenied(f"Token {principal.name!r} has read scope and cannot change anything")
        return principal

    @staticmethod
    def _too_large(head: RequestHead, limit: int) -> MlflowError:
        if paths.is_upload(head.method, head.path):
            return UploadTooLarge(f"Upload of {head.content_length:,} bytes exceeds the maximum "
                                  f"upload size of {limit} bytes")
        return InvalidParameter(f"Request body too large: {head.content_length:,} bytes sent, "
                                f"this server takes JSON bodies of up to {limit:,} bytes")

    def cors_origin(self, origin: str | None, host: str | None) -> str | None:
        """The Access-Control-Allow-Origin value for a cross-origin page allowed to call the API."""
        if not origin or not self.policy.is_cross_origin(origin, host):
            return None
        if not self.policy.origin_allowed(origin, host):
            return None
        return "*" if "*" in self.policy.allowed_origins else origin


class GateMiddleware:
    """WSGI in front of everything: admit (unless the server already did, before the body),
    answer CORS preflights, send refusals to Flask and admitted requests on to `admitted_app`."""

    def __init__(self, gate: Gate, admitted_app, flask_wsgi_app):
        self.gate = gate
        self.admitted_app = admitted_app
        self.flask_wsgi_app = flask_wsgi_app

    def __call__(self, environ, start_response):
        admission = environ.get(ADMISSION)
        if admission is None:
            admission = environ[ADMISSION] = self.gate.admit(RequestHead.from_environ(environ))
        allow_origin = self.gate.cors_origin(environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST"))
        if admission.preflight:
            start_response("204 NO CONTENT", [
                ("Access-Control-Allow-Origin", allow_origin), ("Vary", "Origin"),
                ("Access-Control-Allow-Methods", CORS_METHODS),
                ("Access-Control-Allow-Headers", CORS_HEADERS), ("Access-Control-Max-Age", "600")])
            return [b""]
        if allow_origin is not None and paths.is_api_path(environ.get("PATH_INFO", "")):
            start_response = _with_headers(start_response, [
                ("Access-Control-Allow-Origin", allow_origin), ("Vary", "Origin")])
        app = self.flask_wsgi_app if admission.refusal is not None else self.admitted_app
        return app(environ, start_response)


def _with_headers(start_response, extra):
    def start(status, headers, exc_info=None):
        return start_response(status, headers + extra, exc_info)
    return start


def _apply_admission():
    """before_request: raise the gate's refusal (Flask's error handlers answer it), or note
    who the request acts for."""
    admission: Admission | None = request.environ.get(ADMISSION)
    if admission is None:
        raise RuntimeError("The request reached Flask without passing the gate (create_app installs it)")
    if admission.refusal is not None:
        raise admission.refusal
    g.principal = admission.principal


def register_gate(app: Flask) -> None:
    """The gate and its Flask side; install_gate_middleware puts it in front, last of all."""
    access = app.extensions["mlexp.access"] = AccessState(app)
    app.extensions["mlexp.gate"] = Gate(app, access)
    app.before_request(_apply_admission)
    app.context_processor(lambda: {"principal": g.get("principal"), "auth_on": access.auth_required()})


def install_gate_middleware(app: Flask, admitted_app) -> None:
    """app.wsgi_app becomes: gate → admitted_app (the logging lane, then Flask) or, refused, Flask."""
    app.wsgi_app = GateMiddleware(app.extensions["mlexp.gate"], admitted_app, app.wsgi_app)
