"""Log in to the pages with a token, and log out.

A log-in is a row of its own (services/tokens.start_page_session); the signed cookie carries
only its random key, so logging out ends it for good, also where the cookie was copied to."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from mlexp.http.access import SESSION_KEY, access_state
from mlexp.http.paths import is_api_path
from mlexp.services import tokens
from mlexp.web.csrf import verify_csrf

bp = Blueprint("session", __name__)


def _safe_next(target: str | None) -> str:
    """Only paths on this site: an open redirect would hand the token's session to anyone.

    Control characters are refused too: CR/LF cannot go into a Location header (a 500), and
    browsers drop tabs and newlines, which turns "/<TAB>/evil" into "//evil"."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") \
            or target.startswith("//") or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return url_for("experiments.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        verify_csrf()
        principal = tokens.principal_for(request.form.get("token", "").strip())
        if principal is not None:
            session.clear()
            session[SESSION_KEY] = tokens.start_page_session(principal.name)
            access_state().invalidate()
            return redirect(_safe_next(request.form.get("next")))
        error = "That token is unknown or has been revoked."
    return render_template("session/login.html", error=error,
                           next=_safe_next(request.values.get("next"))), 401 if error else 200


@bp.post("/logout")
def logout():
    verify_csrf()
    key = session.get(SESSION_KEY)
    if isinstance(key, str):
        tokens.end_page_session(key)
        access_state().invalidate()
    session.clear()
    return redirect(url_for("session.login"))


class PageSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for the pages only: API calls authenticate per request with a header,
    so they skip reading and signing the cookie (a tenth of a small call's cost)."""

    def open_session(self, app, request):
        if is_api_path(request.path):
            return self.null_session_class()
        return super().open_session(app, request)
