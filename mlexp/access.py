"""Who may do what: every request is checked here before any view runs.

Access is open until the first token is created (or AUTH = "required"); from then on (even
after every token is revoked) the API
takes a token as `Authorization: Bearer <token>` (MLFLOW_TRACKING_TOKEN) or as the password of
HTTP Basic (MLFLOW_TRACKING_USERNAME/PASSWORD), and pages take the session a token logged in.
A read token can read everything and change nothing.

Token checks are cached for a second per process, so a token made or revoked from the command
line takes effect within a second, and a busy training loop does not pay a query per call.
"""
import base64
import binascii
import time

from flask import Flask, current_app, g, redirect, request, session, url_for

from mlexp.api.errors import API_PATH_PREFIXES, mlflow_error_response
from mlexp.errors import PermissionDenied, Unauthenticated
from mlexp.services import tokens
from mlexp.services.tokens import Principal

CACHE_SECONDS = 1.0
# Always reachable: health checks, the stylesheet and script, and the log-in page itself.
OPEN_ENDPOINTS = {"health.health", "static", "session.login"}
# API calls that are POSTed but only read.
READ_ONLY_POST_SUFFIXES = ("/runs/search", "/experiments/search", "/logged-models/search",
                           "/registered-models/get-latest-versions")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class _TtlCache:
    """A tiny per-process cache of token answers that expire after CACHE_SECONDS."""

    def __init__(self):
        self._entries: dict = {}

    def get(self, key, compute):
        now = time.monotonic()
        hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()
        if len(self._entries) > 10_000:
            self._entries.clear()  # a flood of made-up tokens must not grow memory
        self._entries[key] = (now + CACHE_SECONDS, value)
        return value


def current_principal() -> Principal | None:
    """The token the request acts for, or None while access is open."""
    return g.get("principal")


def auth_required(app: Flask | None = None) -> bool:
    """True when requests need a token: AUTH = "required", or a token was ever made."""
    app = app or current_app
    if str(app.config["AUTH"]).lower() == "required":
        return True
    cache = app.extensions["mlexp.access_cache"]
    return cache.get("__any__", tokens.tokens_configured)


def _credentials() -> str | None:
    return credentials_from(request.headers.get("Authorization", ""))


def credentials_from(authorization: str) -> str | None:
    """The token in an Authorization header's value (Bearer, or Basic with the token as password)."""
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


def token_principal(app: Flask, token: str) -> Principal | None:
    """The live token's principal, from the per-process cache (needs an app context)."""
    cache = app.extensions["mlexp.access_cache"]
    return cache.get(("token", tokens.hash_token(token)), lambda: tokens.principal_for(token))


def _principal() -> Principal | None:
    token = _credentials()
    if token is not None:
        return token_principal(current_app, token)
    name = session.get("token_name")
    if name:
        cache = current_app.extensions["mlexp.access_cache"]
        return cache.get(("name", name), lambda: tokens.principal_named(name))
    return None


def _is_api() -> bool:
    return request.path.startswith(API_PATH_PREFIXES)


def _is_write() -> bool:
    if request.method in SAFE_METHODS:
        return False
    rule = request.url_rule.rule if request.url_rule else request.path
    return not (request.method == "POST" and rule.endswith(READ_ONLY_POST_SUFFIXES))


def _denied(error):
    """MLflow's error JSON for the API; pages send people to log in, or show the error."""
    if _is_api():
        response = mlflow_error_response(error)
        if isinstance(error, Unauthenticated):
            return (*response, {"WWW-Authenticate": 'Bearer realm="mlexp"'})
        return response
    if isinstance(error, Unauthenticated):
        return redirect(url_for("session.login", next=request.full_path.rstrip("?")))
    from mlexp.web.errors import render_error_page

    return render_error_page(error)


def check_access():
    """before_request: let the request through, or answer 401/403 in its stead."""
    g.principal = None
    if request.endpoint in OPEN_ENDPOINTS or not auth_required():
        return None
    principal = _principal()
    if principal is None:
        if request.endpoint == "session.logout":
            return None
        message = ("A valid token is required: set MLFLOW_TRACKING_TOKEN, or log in"
                   if _credentials() is None else "The token is unknown or has been revoked")
        return _denied(Unauthenticated(message))
    g.principal = principal
    if _is_write() and not principal.can_write and request.endpoint != "session.logout":
        return _denied(PermissionDenied(
            f"Token {principal.name!r} has read scope and cannot change anything"))
    return None


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def warn_if_exposed(app: Flask, host: str) -> None:
    """Say loudly when the server listens beyond this machine while anyone may use it."""
    import logging

    if host in LOOPBACK_HOSTS or host.startswith("127."):
        return
    with app.app_context():
        if auth_required(app):
            return
    logging.getLogger("mlexp").warning(
        "Serving on %s with no access tokens: anyone who can reach this address can read and "
        "change every experiment. Create one with `flask --app app tokens create NAME` "
        "(or set MLEXP_AUTH=required).", host)


def register_access_control(app: Flask) -> None:
    app.extensions["mlexp.access_cache"] = _TtlCache()
    app.before_request(check_access)
    app.context_processor(lambda: {"principal": g.get("principal"),
                                   "auth_on": auth_required()})
