"""Credentials for API and page tests: tokens made with the service, with the per-process token
cache cleared so a test need not wait out its second; Authorization headers; a page log-in."""
import base64

from mlexp.services import tokens as token_service


def clear_token_cache(app) -> None:
    app.extensions["mlexp.access"].invalidate()


def add_token(app, name: str, scope: str = "write") -> str:
    with app.app_context():
        token = token_service.create_token(name, scope)
    clear_token_cache(app)
    return token


def revoke(app, name: str) -> None:
    with app.app_context():
        token_service.revoke_token(name)
    clear_token_cache(app)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def basic(token: str, username: str = "whoever") -> dict:
    raw = base64.b64encode(f"{username}:{token}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def raw_basic(payload: bytes) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(payload).decode()}


def page_csrf(client, path: str = "/login") -> str:
    """Render a page (which puts a CSRF token in the session) and return that token."""
    client.get(path)
    with client.session_transaction() as state:
        return state["csrf"]


def login(client, token: str, next_path: str | None = None):
    data = {"token": token, "csrf_token": page_csrf(client)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data)
