"""CSRF protection for the pages' state-changing forms (all POST)."""
import hmac
import secrets

from flask import abort, request, session


def csrf_token() -> str:
    """The session's token, created on first use; forms carry it in a hidden field."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def verify_csrf() -> None:
    """Abort with 400 unless the form's token matches the session's."""
    expected = session.get("csrf")
    given = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(expected, given):
        abort(400, description="The form is stale or was not sent from this site; reload and retry.")
