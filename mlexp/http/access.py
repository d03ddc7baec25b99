"""Who a request acts for, decided from its headers alone (the gate asks before any body is read).

Access is open until the first token is created (or AUTH = "required"); from then on (even
after every token is revoked) the API takes a token as `Authorization: Bearer <token>`
(MLFLOW_TRACKING_TOKEN) or as the password of HTTP Basic (MLFLOW_TRACKING_USERNAME/PASSWORD),
and pages take the session a token logged in. A read token can read everything and change nothing.

The tokens and live page sessions are read from the database at most once a second per process
(AccessState), so a token made or revoked from the command line takes effect within a second,
a busy training loop does not pay a query per call, and a flood of made-up tokens costs no
query at all.
"""
import base64
import binascii
import logging
import threading
import time

from flask import Flask, current_app, g
from werkzeug.http import parse_cookie

from mlexp.services import tokens
from mlexp.services.tokens import AccessFacts, Principal

CACHE_SECONDS = 1.0
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
SESSION_KEY = "sid"  # the page session's key in the signed cookie


class AccessState:
    """This process's copy of the access facts, read again once it is a second old."""

    def __init__(self, app: Flask):
        self.app = app
        self._lock = threading.Lock()
        self._facts: AccessFacts | None = None
        self._expires = 0.0

    def facts(self) -> AccessFacts:
        if self._facts is not None and time.monotonic() < self._expires:
            return self._facts
        with self._lock:
            if self._facts is None or time.monotonic() >= self._expires:
                with self.app.app_context():
                    self._facts = tokens.access_facts()
                self._expires = time.monotonic() + CACHE_SECONDS
        return self._facts

    def invalidate(self) -> None:
        """Read the facts again on the next request (after a change made by this process)."""
        self._expires = 0.0

    def auth_required(self) -> bool:
        return str(self.app.config["AUTH"]).lower() == "required" or self.facts().tokens_exist


def access_state(app: Flask | None = None) -> AccessState:
    return (app or current_app).extensions["mlexp.access"]


def auth_required(app: Flask | None = None) -> bool:
    """True when requests need a token: AUTH = "required", or a token was ever made."""
    return access_state(app).auth_required()


def current_principal() -> Principal | None:
    """The token the request acts for, or None while access is open."""
    return g.get("principal")


def credentials_from(authorization: str | None) -> str | None:
    """The token in an Authorization header's value (Bearer, or Basic with the token as password)."""
    scheme, _, value = (authorization or "").partition(" ")
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


def session_key_from(app: Flask, cookie_header: str | None) -> str | None:
    """The page session key in a Cookie header, if its signature is this server's."""
    if not cookie_header:
        return None
    value = parse_cookie(cookie_header).get(app.config["SESSION_COOKIE_NAME"])
    serializer = app.session_interface.get_signing_serializer(app) if value else None
    if serializer is None:
        return None
    try:
        data = serializer.loads(value, max_age=int(app.permanent_session_lifetime.total_seconds()))
    except Exception:  # itsdangerous.BadSignature, and anything a forged value makes it raise
        return None
    key = data.get(SESSION_KEY) if isinstance(data, dict) else None
    return key if isinstance(key, str) else None


def warn_if_exposed(app: Flask, host: str) -> None:
    """Say loudly when the server listens beyond this machine while anyone may use it."""
    if host in LOOPBACK_HOSTS or host.startswith("127."):
        return
    if auth_required(app):
        return
    logging.getLogger("mlexp").warning(
        "Serving on %s with no access tokens: anyone who can reach this address can read and "
        "change every experiment. Create one with `flask --app app tokens create NAME` "
        "(or set MLEXP_AUTH=required).", host)
