"""Paths, assertions and calls the access tests share: MLflow's 401 and 403, the log-in redirect,
every route of the app, and runs written beside the shared server's seeded data."""
import re
from urllib.parse import parse_qs, urlsplit

from mlexp.http.paths import is_open
from tests.api.credentials import bearer
from tests.routes import routes

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
API_PREFIXES = ("/api/", "/ajax-api/")
# Dummy values for building a URL of every rule; the access check answers before any lookup.
RULE_VALUES = {"artifact_path": "ml_experiment_0/1/x.txt", "model_id": "m-1", "tag_key": "k",
               "action": "create", "experiment_id": "0", "iid": 1, "name": "m", "version": "1",
               "run_id": "0" * 32, "path": "a.txt", "filename": "style.css"}

LIMIT = 4096  # MAX_JSON_BYTES of the `open_app` fixture


def assert_unauthenticated(response, *mentions: str) -> None:
    """MLflow's error JSON, exactly, with status 401 and a Bearer challenge."""
    assert response.status_code == 401, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None and set(body) == {"error_code", "message"}, body
    assert body["error_code"] == "UNAUTHENTICATED"
    assert body["message"]
    for mention in mentions:
        assert mention in body["message"], body
    assert response.headers["WWW-Authenticate"].startswith("Bearer"), response.headers


def assert_permission_denied(response, token_name: str = "reader") -> None:
    assert response.status_code == 403, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert body is not None and set(body) == {"error_code", "message"}, body
    assert body["error_code"] == "PERMISSION_DENIED"
    assert token_name in body["message"] and "read" in body["message"], body
    assert "WWW-Authenticate" not in response.headers


def assert_login_redirect(response, path: str) -> None:
    """A page asked for without a session sends the person to log in, remembering where to."""
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True))
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [path]


def rules(app, *, api: bool):
    """(route, method, url) for every route of the API (api=True) or of the pages, except the
    paths open to anyone (http/paths.OPEN_PATHS: health, version and server-info probes, log-in)."""
    for route in routes(app):
        if route.rule.startswith(API_PREFIXES) != api or is_open(route.rule):
            continue
        url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(RULE_VALUES[m.group(1)]), route.rule)
        for method in sorted(route.methods):
            yield route, method, url


def call(client, method: str, url: str, headers=None):
    kwargs = {"headers": headers or {}}
    if method in ("POST", "PATCH") and url.startswith(API_PREFIXES):
        kwargs["json"] = {}
    if method == "PUT":
        kwargs["data"] = b"x"
    return client.open(url, method=method, **kwargs)


def scratch_run(shared_, headers=None) -> dict:
    """A new run in the shared server's scratch experiment, for tests that write."""
    response = shared_.app.test_client().post(
        f"{API}/runs/create", headers=headers or bearer(shared_.writer),
        json={"experiment_id": shared_.scratch_experiment_id})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["run"]


def get_run(client, run_id: str, headers) -> dict:
    response = client.get(f"{API}/runs/get", query_string={"run_id": run_id}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["run"]
