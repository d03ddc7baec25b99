"""Access control through the test client: tokens, scopes, the log-in page, headers, body limit.

Tokens are made with the service (or the CLI runner) and the per-process token cache is cleared
afterwards, so a test need not wait out its second; one test shows the real expiry.
"""
import base64
import hashlib
import json
import logging
import re
import sqlite3
import time
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from mlexp.services import tokens as token_service
from tests.api.helpers import tags_of
from tests.databases import make_app
from tests.routes import routes

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
API_PREFIXES = ("/api/", "/ajax-api/")
# The searches a read token may POST (the spec's list, not the code's).
READ_ONLY_POSTS = ("/runs/search", "/experiments/search", "/logged-models/search",
                   "/registered-models/get-latest-versions")
OPEN_PATHS = ("/health", "/static/style.css", "/static/app.js", "/login")
SAFE = {"GET", "HEAD", "OPTIONS"}
# Dummy values for building a URL of every rule; the access check answers before any lookup.
RULE_VALUES = {"artifact_path": "ml_experiment_0/1/x.txt", "model_id": "m-1", "tag_key": "k",
               "action": "create", "experiment_id": "0", "iid": 1, "name": "m", "version": "1",
               "run_id": "0" * 32, "path": "a.txt", "filename": "style.css"}


# --- helpers --------------------------------------------------------------------------------

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


def rules(app, *, api: bool):
    """(route, method, url) for every route of the API (api=True) or of the pages."""
    for route in routes(app):
        if route.rule.startswith(API_PREFIXES) != api:
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


# --- fixtures -------------------------------------------------------------------------------

def seed_world(app):
    """One of everything, made while access was open; then a write and a read token."""
    client = app.test_client()

    def ok(response):
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    eid = ok(client.post(f"{API}/experiments/create", json={"name": "exp"}))["experiment_id"]
    run = ok(client.post(f"{API}/runs/create", json={"experiment_id": eid, "run_name": "r1"}))["run"]
    run_id = run["info"]["run_id"]
    ok(client.post(f"{API}/runs/log-metric", json={"run_id": run_id, "key": "loss", "value": 0.5,
                                                   "timestamp": 1, "step": 0}))
    ok(client.post(f"{API}/runs/log-parameter", json={"run_id": run_id, "key": "lr", "value": "0.1"}))
    package = f"ml_experiment_{eid}/1"
    ok(client.put(f"{ARTIFACTS}/{package}/hello.txt", data=b"hello"))
    ok(client.post(f"{API}/registered-models/create", json={"name": "m"}))
    ok(client.post(f"{API}/model-versions/create",
                   json={"name": "m", "source": f"mlflow-artifacts:/{package}", "run_id": run_id}))
    model = ok(client.post(f"{API}/logged-models", json={"experiment_id": eid}))["model"]
    model_id = model["info"]["model_id"]
    side = ok(client.post(f"{API}/experiments/create", json={"name": "scratch"}))["experiment_id"]
    writer = add_token(app, "alice", "write")
    reader = add_token(app, "reader", "read")
    return SimpleNamespace(app=app, experiment_id=eid, run_id=run_id, package=package,
                           model_id=model_id, scratch_experiment_id=side, writer=writer, reader=reader)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A server with data and two tokens that the tests below only read, or write beside.

    Tests that change tokens get a fresh `app` (and `world`) of their own. Tests that write with
    the write token do so in the "scratch" experiment, so the seeded data stays as made.
    """
    app = make_app(tmp_path_factory.mktemp("shared"))
    return seed_world(app)


@pytest.fixture
def world(app):
    """Like `shared`, on this test's own server (for tests that revoke or add tokens)."""
    return seed_world(app)


LIMIT = 4096  # MAX_JSON_BYTES of `open_app`


@pytest.fixture(scope="module")
def open_app(tmp_path_factory):
    """A server with no tokens (access open) and a small JSON body limit; tests never add tokens."""
    return make_app(tmp_path_factory.mktemp("open"), MAX_JSON_BYTES=LIMIT)


@pytest.fixture
def open_client(open_app):
    return open_app.test_client()


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    """A server for the tokens command; each test uses names of its own."""
    return make_app(tmp_path_factory.mktemp("cli"))


@pytest.fixture
def web(shared):
    """A fresh browser-like client (own cookie jar) on the shared server."""
    return shared.app.test_client()


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


# --- open by default ------------------------------------------------------------------------

def test_api_and_pages_are_open_when_no_token_exists(open_client):
    client = open_client
    response = client.post(f"{API}/experiments/create", json={"name": "open"})
    assert response.status_code == 200, response.get_json()
    assert "WWW-Authenticate" not in response.headers
    names = [e["name"] for e in client.get(f"{API}/experiments/search").get_json()["experiments"]]
    assert "open" in names
    page = client.get("/")
    assert page.status_code == 200
    assert "open" in page.get_data(as_text=True)
    assert "Signed in as" not in page.get_data(as_text=True)
    assert "Log out" not in page.get_data(as_text=True)


def test_access_stays_open_when_a_wrong_token_is_sent_and_no_token_exists(open_client):
    response = open_client.get(f"{API}/experiments/search", headers=bearer("made-up"))
    assert response.status_code == 200


# --- everything closed once a token exists ---------------------------------------------------

def test_every_api_route_answers_401_in_mlflow_json_when_no_token_is_sent(shared, web):
    checked = 0
    for rule, method, url in rules(shared.app, api=True):
        assert_unauthenticated(call(web, method, url), "token")
        checked += 1
    assert checked > 100  # every rule of both prefixes, every method


def test_every_api_route_answers_401_when_the_token_is_unknown(shared, web):
    for rule, method, url in rules(shared.app, api=True):
        response = call(web, method, url, bearer("mlexp_not-a-real-token"))
        assert_unauthenticated(response, "unknown or has been revoked")


def test_unknown_api_path_answers_401_not_404_when_no_token_is_sent(shared, web):
    assert_unauthenticated(web.get(f"{API}/no/such/thing"))
    assert_unauthenticated(web.post(f"{AJAX}/runs/no-such-call", json={}))


def test_every_page_redirects_to_login_with_next_when_no_session(shared, web):
    checked = 0
    for rule, method, url in rules(shared.app, api=False):
        if rule.endpoint in ("health.health", "static", "session.login", "session.logout"):
            continue
        response = web.open(url, method=method)
        assert_login_redirect(response, url)
        checked += 1
    assert checked >= 15


def test_page_redirect_keeps_the_query_string_in_next_when_no_session(shared, web):
    response = web.get("/experiments/0?filter=metrics.loss+%3C+1&order=x")
    location = urlsplit(response.headers["Location"])
    next_path = parse_qs(location.query)["next"][0]
    assert urlsplit(next_path).path == "/experiments/0"
    assert parse_qs(urlsplit(next_path).query) == {"filter": ["metrics.loss < 1"], "order": ["x"]}


def test_page_post_form_is_not_run_when_no_session(shared, web):
    response = web.post(f"/experiments/{shared.experiment_id}/runs/1/delete", data={})
    assert_login_redirect(response, f"/experiments/{shared.experiment_id}/runs/1/delete")
    assert get_run(web, shared.run_id, bearer(shared.writer))["info"]["lifecycle_stage"] == "active"


@pytest.mark.parametrize("path", OPEN_PATHS)
def test_health_static_and_login_stay_open_when_tokens_exist(shared, web, path):
    response = web.get(path)
    assert response.status_code == 200, path
    if path == "/health":
        assert response.get_data(as_text=True) == "OK"
    if path == "/login":
        assert 'name="token"' in response.get_data(as_text=True)


def test_open_paths_do_not_open_anything_else_when_tokens_exist(shared, web):
    for sneaky in ("/health/../experiments", "/static/../experiments", "/login/../experiments"):
        response = web.get(sneaky)
        assert response.status_code in (302, 404), sneaky
        if response.status_code == 302:
            assert urlsplit(response.headers["Location"]).path == "/login"


# --- credentials ----------------------------------------------------------------------------

def test_bearer_token_reads_and_writes_when_token_has_write_scope(shared, web):
    run_id = scratch_run(shared)["info"]["run_id"]
    response = web.post(f"{API}/runs/log-metric", headers=bearer(shared.writer),
                        json={"run_id": run_id, "key": "acc", "value": 0.9, "timestamp": 2})
    assert response.status_code == 200, response.get_json()
    metrics = {m["key"]: m["value"] for m in get_run(web, run_id, bearer(shared.writer))["data"]["metrics"]}
    assert metrics == {"acc": 0.9}


@pytest.mark.parametrize("username", ["alice", "someone-else", "", "user:with:colons"])
def test_basic_auth_takes_the_token_as_password_when_any_username_is_given(shared, web, username):
    run_id = scratch_run(shared)["info"]["run_id"]
    response = web.post(f"{API}/runs/set-tag", headers=basic(shared.writer, username),
                        json={"run_id": run_id, "key": "via", "value": f"basic-{username}"})
    if ":" in username:
        # The password is everything after the first colon, so this "password" is not the token.
        assert_unauthenticated(response)
        return
    assert response.status_code == 200, response.get_json()
    assert tags_of(get_run(web, run_id, basic(shared.writer)))["via"] == f"basic-{username}"


def test_scheme_names_are_case_insensitive_when_sent_by_odd_clients(shared, web):
    for header in ({"Authorization": f"bearer {shared.reader}"},
                   {"Authorization": f"BEARER {shared.reader}"},
                   {"Authorization": basic(shared.reader)["Authorization"].replace("Basic", "basic")}):
        assert web.get(f"{API}/experiments/search", headers=header).status_code == 200, header


def test_ajax_api_takes_the_same_tokens_when_called(shared, web):
    assert_unauthenticated(web.get(f"{AJAX}/experiments/search"))
    assert web.get(f"{AJAX}/experiments/search", headers=bearer(shared.reader)).status_code == 200
    assert_permission_denied(web.post(f"{AJAX}/experiments/create", headers=bearer(shared.reader),
                                      json={"name": "nope"}))


@pytest.mark.parametrize("header", [
    "Basic",
    "Basic ",
    "Basic !!!not-base64!!!",
    "Basic abc",                                    # bad padding
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"user:").decode(),  # empty password
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),  # not UTF-8
    "Basic " + base64.b64encode(b"u:\x00\x01\x02").decode(),
    "Bearer",
    "Bearer ",
    "Bearer      ",
    "Bearer two words",
    "Bearer \u00e9\u00e8",
    "Bearer " + "x" * 8000,
    "Token abc",
    "Digest username=\"a\"",
    "NTLM TlRMTVNTUAABAAAA",
    "mlexp_abc",
    "",
])
def test_malformed_authorization_answers_401_not_500_when_sent(shared, web, header):
    response = web.get(f"{API}/experiments/search", headers={"Authorization": header})
    assert_unauthenticated(response)
    page = web.get("/", headers={"Authorization": header})
    assert page.status_code == 302


def test_token_as_basic_username_is_not_accepted_when_password_is_empty(shared, web):
    assert_unauthenticated(web.get(f"{API}/experiments/search",
                                   headers=raw_basic(f"{shared.writer}:".encode())))


def test_token_with_surrounding_whitespace_is_accepted_when_sent_as_bearer(shared, web):
    response = web.get(f"{API}/experiments/search", headers={"Authorization": f"Bearer  {shared.reader}  "})
    assert response.status_code == 200


def test_almost_right_token_is_refused_when_one_character_differs(shared, web):
    wrong = shared.writer[:-1] + ("A" if shared.writer[-1] != "A" else "B")
    assert_unauthenticated(web.get(f"{API}/experiments/search", headers=bearer(wrong)),
                           "unknown or has been revoked")
    assert_unauthenticated(web.get(f"{API}/experiments/search", headers=bearer(shared.writer.upper())))


def test_token_hash_is_refused_when_sent_instead_of_the_token(shared, web):
    digest = hashlib.sha256(shared.writer.encode()).hexdigest()
    assert_unauthenticated(web.get(f"{API}/experiments/search", headers=bearer(digest)))


# --- read scope -----------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", [API, AJAX])
def test_read_token_posts_the_read_only_searches_when_it_has_read_scope(shared, web, prefix):
    headers = bearer(shared.reader)
    runs = web.post(f"{prefix}/runs/search", headers=headers,
                    json={"experiment_ids": [shared.experiment_id]})
    assert runs.status_code == 200, runs.get_json()
    assert [r["info"]["run_id"] for r in runs.get_json()["runs"]] == [shared.run_id]
    experiments = web.post(f"{prefix}/experiments/search", headers=headers, json={})
    assert experiments.status_code == 200
    assert {e["name"] for e in experiments.get_json()["experiments"]} == {"Default", "exp", "scratch"}
    models = web.post(f"{prefix}/logged-models/search", headers=headers,
                      json={"experiment_ids": [shared.experiment_id]})
    assert models.status_code == 200, models.get_json()
    assert [m["info"]["model_id"] for m in models.get_json()["models"]] == [shared.model_id]
    latest = web.post(f"{prefix}/registered-models/get-latest-versions", headers=headers,
                      json={"name": "m"})
    assert latest.status_code == 200, latest.get_json()
    assert [v["version"] for v in latest.get_json()["model_versions"]] == ["1"]


def test_read_token_gets_every_get_route_without_401_or_403_when_it_has_read_scope(shared, web):
    for rule, method, url in rules(shared.app, api=True):
        if method != "GET":
            continue
        response = web.get(url, headers=bearer(shared.reader))
        assert response.status_code not in (401, 403), (url, response.get_json())


def test_read_token_reads_real_data_when_it_has_read_scope(shared, web):
    headers = bearer(shared.reader)
    run = get_run(web, shared.run_id, headers)
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"loss": 0.5}
    history = web.get(f"{API}/metrics/get-history", headers=headers,
                      query_string={"run_id": shared.run_id, "metric_key": "loss"})
    assert [m["value"] for m in history.get_json()["metrics"]] == [0.5]
    listing = web.get(ARTIFACTS, headers=headers, query_string={"path": shared.package})
    assert listing.get_json()["files"] == [{"path": "hello.txt", "is_dir": False, "file_size": 5}]
    download = web.get(f"{ARTIFACTS}/{shared.package}/hello.txt", headers=headers)
    assert download.status_code == 200 and download.data == b"hello"
    model = web.get(f"{API}/registered-models/get", headers=headers, query_string={"name": "m"})
    assert model.get_json()["registered_model"]["name"] == "m"


def test_every_api_write_answers_403_when_token_has_read_scope(shared, web):
    """Every non-GET API call except the four read-only searches is a write."""
    checked = 0
    for rule, method, url in rules(shared.app, api=True):
        if method in SAFE or (method == "POST" and rule.rule.endswith(READ_ONLY_POSTS)):
            continue
        assert_permission_denied(call(web, method, url, bearer(shared.reader)))
        assert_permission_denied(call(web, method, url, basic(shared.reader)))
        checked += 1
    assert checked >= 80


READ_TOKEN_WRITES = [
    ("POST", "/runs/log-metric", lambda w: {"run_id": w.run_id, "key": "loss", "value": 9.0, "timestamp": 5}),
    ("POST", "/runs/log-parameter", lambda w: {"run_id": w.run_id, "key": "new", "value": "x"}),
    ("POST", "/runs/log-batch", lambda w: {
        "run_id": w.run_id, "metrics": [{"key": "b", "value": 1, "timestamp": 1, "step": 0}]}),
    ("POST", "/runs/set-tag", lambda w: {"run_id": w.run_id, "key": "t", "value": "v"}),
    ("POST", "/runs/update", lambda w: {"run_id": w.run_id, "status": "FINISHED"}),
    ("POST", "/runs/delete", lambda w: {"run_id": w.run_id}),
    ("POST", "/runs/create", lambda w: {"experiment_id": w.experiment_id}),
    ("POST", "/experiments/create", lambda w: {"name": "sneaky"}),
    ("POST", "/experiments/update", lambda w: {"experiment_id": w.experiment_id, "new_name": "renamed"}),
    ("POST", "/experiments/delete", lambda w: {"experiment_id": w.experiment_id}),
    ("POST", "/registered-models/create", lambda w: {"name": "m2"}),
    ("POST", "/registered-models/rename", lambda w: {"name": "m", "new_name": "m3"}),
    ("PATCH", "/registered-models/update", lambda w: {"name": "m", "description": "changed"}),
    ("DELETE", "/registered-models/delete", lambda w: {"name": "m"}),
    ("POST", "/registered-models/alias", lambda w: {"name": "m", "alias": "prod", "version": "1"}),
    ("POST", "/model-versions/create", lambda w: {"name": "m", "source": "x"}),
    ("POST", "/model-versions/transition-stage",
     lambda w: {"name": "m", "version": "1", "stage": "Production"}),
    ("DELETE", "/model-versions/delete", lambda w: {"name": "m", "version": "1"}),
    ("POST", "/logged-models", lambda w: {"experiment_id": w.experiment_id}),
    ("DELETE", "/logged-models/{model_id}", lambda w: None),
]


def test_read_token_writes_are_refused_and_change_nothing_when_sent(shared, web):
    before = snapshot(web, shared)
    for method, path, body in READ_TOKEN_WRITES:
        response = web.open(API + path.format(model_id=shared.model_id), method=method,
                            json=body(shared), headers=bearer(shared.reader))
        assert_permission_denied(response)
    assert snapshot(web, shared) == before


def snapshot(client, world_) -> dict:
    """Everything the read-token writes above might have changed."""
    headers = bearer(world_.writer)
    return {
        "run": get_run(client, world_.run_id, headers),
        "runs": client.post(f"{API}/runs/search", headers=headers,
                            json={"experiment_ids": [world_.experiment_id],
                                  "run_view_type": "ALL"}).get_json(),
        "experiments": client.get(f"{API}/experiments/search", headers=headers,
                                  query_string={"view_type": "ALL"}).get_json(),
        "models": client.get(f"{API}/registered-models/search", headers=headers).get_json(),
        "versions": client.get(f"{API}/model-versions/search", headers=headers).get_json(),
        "logged": client.post(f"{API}/logged-models/search", headers=headers,
                              json={"experiment_ids": [world_.experiment_id]}).get_json(),
    }


def test_read_token_cannot_put_or_delete_artifacts_when_it_has_read_scope(shared, web):
    headers = bearer(shared.reader)
    for prefix in ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts"):
        assert_permission_denied(web.put(f"{prefix}/artifacts/{shared.package}/evil.txt",
                                         data=b"evil", headers=headers))
        assert_permission_denied(web.put(f"{prefix}/artifacts/{shared.package}/hello.txt",
                                         data=b"overwritten", headers=headers))
        assert_permission_denied(web.delete(f"{prefix}/artifacts/{shared.package}/hello.txt",
                                            headers=headers))
        assert_permission_denied(web.post(f"{prefix}/mpu/create/{shared.package}/big.bin",
                                          json={}, headers=headers))
    listing = web.get(ARTIFACTS, headers=headers, query_string={"path": shared.package})
    assert listing.get_json()["files"] == [{"path": "hello.txt", "is_dir": False, "file_size": 5}]
    assert web.get(f"{ARTIFACTS}/{shared.package}/hello.txt", headers=headers).data == b"hello"


def test_read_token_cannot_write_through_a_path_that_ends_like_a_search_when_tricked(shared, web):
    headers = bearer(shared.reader)
    for path in ("runs/search", "experiments/search", "registered-models/get-latest-versions"):
        assert_permission_denied(web.post(
            f"/api/2.0/mlflow-artifacts/mpu/create/{shared.package}/{path}", json={}, headers=headers))
        assert_permission_denied(web.put(f"{ARTIFACTS}/{shared.package}/{path}", data=b"x",
                                         headers=headers))
    assert_permission_denied(web.post(f"{API}/runs/log-metric?next=/runs/search", headers=headers,
                                      json={"run_id": shared.run_id, "key": "k", "value": 1,
                                            "timestamp": 1}))


def test_write_token_writes_artifacts_when_it_has_write_scope(shared, web):
    headers = bearer(shared.writer)
    run = scratch_run(shared)
    package = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    for name in ("keep.txt", "drop.txt"):
        assert web.put(f"{ARTIFACTS}/{package}/{name}", data=b"new", headers=headers).status_code == 200
    assert web.delete(f"{ARTIFACTS}/{package}/drop.txt", headers=headers).status_code == 200
    listing = web.get(ARTIFACTS, headers=headers, query_string={"path": package})
    assert listing.get_json()["files"] == [{"path": "keep.txt", "is_dir": False, "file_size": 3}]


# --- revocation and the token cache --------------------------------------------------------

def test_revoked_token_answers_401_when_used_after_revoke(app, client, world):
    assert client.get(f"{API}/experiments/search", headers=bearer(world.writer)).status_code == 200
    revoke(app, "alice")
    assert_unauthenticated(client.get(f"{API}/experiments/search", headers=bearer(world.writer)),
                           "unknown or has been revoked")
    assert_unauthenticated(client.get(f"{API}/experiments/search", headers=basic(world.writer)))
    assert client.get(f"{API}/experiments/search", headers=bearer(world.reader)).status_code == 200


def test_revoking_the_only_token_keeps_access_closed_when_it_was_the_last(app, client):
    """Revoking a leaked token must never open the server to everyone."""
    only = add_token(app, "only")
    assert client.get(f"{API}/experiments/search", headers=bearer(only)).status_code == 200
    revoke(app, "only")
    assert_unauthenticated(client.get(f"{API}/experiments/search", headers=bearer(only)))
    assert_unauthenticated(client.get(f"{API}/experiments/search"))
    assert_unauthenticated(client.post(f"{API}/experiments/create", json={"name": "after-revoke"}))
    assert client.get("/").status_code == 302


def test_revoked_token_stops_a_logged_in_page_session_when_revoked(app, client, world):
    assert login(client, world.writer).status_code == 302
    assert client.get("/").status_code == 200
    revoke(app, "alice")
    assert_login_redirect(client.get("/experiments"), "/experiments")


def test_revoked_token_cannot_log_in_when_revoked(app, client, world):
    revoke(app, "alice")
    response = login(client, world.writer)
    assert response.status_code == 401
    assert "unknown or has been revoked" in response.get_data(as_text=True)
    with client.session_transaction() as state:
        assert "sid" not in state


def poll(fetch, want_status: int, deadline_seconds: float = 10.0):
    """Ask again until the answer's status is want_status; fail at the deadline."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        response = fetch()
        if response.status_code == want_status:
            return response
        assert time.monotonic() < deadline, (response.status_code, response.get_data(as_text=True))
        time.sleep(0.05)


def test_revocation_takes_effect_when_the_token_cache_expires(app, client, world):
    """The real per-process cache (no clearing): a revoked token stops within its lifetime."""
    search = lambda: client.get(f"{API}/experiments/search", headers=bearer(world.writer))
    assert search().status_code == 200  # the answer is now cached
    with app.app_context():
        token_service.revoke_token("alice")
    assert_unauthenticated(poll(search, 401))


def test_first_token_closes_access_when_the_token_cache_expires(app, client):
    search = lambda: client.get(f"{API}/experiments/search")
    assert search().status_code == 200  # "no tokens" is now cached
    with app.app_context():
        token_service.create_token("first", "read")
    assert_unauthenticated(poll(search, 401))


# --- AUTH = "required" ---------------------------------------------------------------------

def test_required_auth_answers_401_when_no_token_exists(tmp_path):
    app = make_app(tmp_path, AUTH="required")
    client = app.test_client()
    assert_unauthenticated(client.get(f"{API}/experiments/search"))
    assert_unauthenticated(client.post(f"{API}/experiments/create", json={"name": "x"}))
    assert_unauthenticated(client.get(f"{API}/experiments/search", headers=bearer("anything")))
    assert_login_redirect(client.get("/experiments"), "/experiments")
    assert client.get("/health").status_code == 200
    assert client.get("/login").status_code == 200


def test_required_auth_comes_from_mlexp_auth_environment_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("MLEXP_AUTH", "required")
    app = make_app(tmp_path)
    client = app.test_client()
    assert_unauthenticated(client.get(f"{API}/experiments/search"))
    token = add_token(app, "ci")
    assert client.get(f"{API}/experiments/search", headers=bearer(token)).status_code == 200


# --- the user a run records ---------------------------------------------------------------

def _create_run_as(client, headers, experiment_id):
    response = client.post(f"{API}/runs/create", headers=headers, json={
        "experiment_id": experiment_id, "user_id": "laptop-user",
        "tags": [{"key": "mlflow.user", "value": "laptop-user"}, {"key": "team", "value": "vision"}]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["run"]


def test_run_records_the_token_name_when_auth_is_on(shared, web):
    for headers in (bearer(shared.writer), basic(shared.writer, username="mallory")):
        created = _create_run_as(web, headers, shared.scratch_experiment_id)
        assert created["info"]["user_id"] == "alice"
        assert tags_of(created)["mlflow.user"] == "alice"
        assert tags_of(created)["team"] == "vision"
        fetched = get_run(web, created["info"]["run_id"], headers)
        assert fetched["info"]["user_id"] == "alice"
        assert tags_of(fetched)["mlflow.user"] == "alice"


def test_run_records_the_token_name_when_no_user_is_sent(shared, web):
    run = scratch_run(shared)
    assert run["info"]["user_id"] == "alice"
    assert tags_of(run)["mlflow.user"] == "alice"


def test_run_records_the_clients_user_when_auth_is_off(open_client):
    client = open_client
    created = _create_run_as(client, {}, "0")
    assert created["info"]["user_id"] == "laptop-user"
    assert tags_of(created)["mlflow.user"] == "laptop-user"
    assert get_run(client, created["info"]["run_id"], {})["info"]["user_id"] == "laptop-user"


def test_runs_search_by_user_finds_the_token_name_when_auth_is_on(shared, web):
    run_id = _create_run_as(web, bearer(shared.writer), shared.scratch_experiment_id)["info"]["run_id"]
    found = web.post(f"{API}/runs/search", headers=bearer(shared.reader), json={
        "experiment_ids": [shared.scratch_experiment_id], "filter": "attributes.user_id = 'alice'"})
    assert run_id in [r["info"]["run_id"] for r in found.get_json()["runs"]]
    laptop = web.post(f"{API}/runs/search", headers=bearer(shared.reader), json={
        "experiment_ids": [shared.scratch_experiment_id], "filter": "tags.`mlflow.user` = 'laptop-user'"})
    assert laptop.get_json().get("runs", []) == []


# --- the tokens command ---------------------------------------------------------------------

def cli(app, *args):
    return app.test_cli_runner().invoke(args=["tokens", *args])


def test_cli_create_prints_the_token_once_on_stdout_when_created(cli_app):
    result = cli(cli_app, "create", "ci-bot", "--scope", "write")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert re.fullmatch(r"mlexp_[A-Za-z0-9_-]{40,}", token), result.stdout
    assert result.output.count(token) == 1
    assert token not in result.stderr
    assert "cannot be shown again" in result.stderr
    clear_token_cache(cli_app)
    response = cli_app.test_client().post(f"{API}/experiments/create", headers=bearer(token),
                                          json={"name": "by-cli"})
    assert response.status_code == 200, response.get_json()


def test_cli_create_defaults_to_write_scope_and_makes_unique_tokens_when_called_twice(cli_app):
    first = cli(cli_app, "create", "one").stdout.strip()
    second = cli(cli_app, "create", "two", "--scope", "read").stdout.strip()
    assert first != second
    listed = cli(cli_app, "list").stdout
    assert re.search(r"^one\twrite\t.*\tactive$", listed, re.MULTILINE), listed
    assert re.search(r"^two\tread\t.*\tactive$", listed, re.MULTILINE), listed


def test_cli_list_shows_names_scopes_state_but_never_the_token_or_hash_when_listing(cli_app):
    made = {name: cli(cli_app, "create", name, "--scope", scope).stdout.strip()
            for name, scope in (("alpha", "read"), ("beta", "write"))}
    assert cli(cli_app, "revoke", "alpha").exit_code == 0
    result = cli(cli_app, "list")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.split("\t")[0] in made]
    assert [line.split("\t")[:2] for line in lines] == [["alpha", "read"], ["beta", "write"]]
    assert "revoked" in lines[0] and lines[1].endswith("active")
    for token in made.values():
        assert token not in result.output
        assert hashlib.sha256(token.encode()).hexdigest() not in result.output
        assert token[len("mlexp_"):][:12] not in result.output


def test_cli_list_says_access_is_open_when_no_token_exists(app):
    result = cli(app, "list")
    assert result.exit_code == 0
    assert "No tokens" in result.output and "open" in result.output


def test_cli_revoke_of_unknown_name_fails_clearly_when_no_such_token(cli_app):
    result = cli(cli_app, "revoke", "ghost")
    assert result.exit_code != 0
    assert "No token named 'ghost'" in result.output
    assert "Traceback" not in result.output


def test_cli_revoke_twice_is_harmless_when_already_revoked(cli_app):
    cli(cli_app, "create", "twice")
    assert cli(cli_app, "revoke", "twice").exit_code == 0
    again = cli(cli_app, "revoke", "twice")
    assert again.exit_code == 0, again.output


def test_cli_create_rejects_a_duplicate_name_when_it_exists_and_keeps_the_first(cli_app):
    first = cli(cli_app, "create", "dup", "--scope", "read").stdout.strip()
    result = cli(cli_app, "create", "dup", "--scope", "write")
    assert result.exit_code != 0
    assert "already exists" in result.output and "dup" in result.output
    assert not re.search(r"mlexp_[A-Za-z0-9_-]{40,}", result.stdout)
    clear_token_cache(cli_app)
    assert cli_app.test_client().get(f"{API}/experiments/search", headers=bearer(first)).status_code == 200
    refused = cli_app.test_client().post(f"{API}/experiments/create", headers=bearer(first),
                                         json={"name": "x"})
    assert_permission_denied(refused, "dup")


def test_cli_create_rejects_a_revoked_name_when_reused(cli_app):
    cli(cli_app, "create", "old")
    cli(cli_app, "revoke", "old")
    result = cli(cli_app, "create", "old")
    assert result.exit_code != 0 and "already exists" in result.output


def test_cli_create_rejects_a_bad_scope_when_given(cli_app):
    for scope in ("admin", "READ", "", "readwrite"):
        result = cli(cli_app, "create", "bad-scope", "--scope", scope)
        assert result.exit_code != 0, scope
        assert "--scope" in result.output, result.output
        assert not re.search(r"mlexp_[A-Za-z0-9_-]{40,}", result.stdout)
    assert "bad-scope" not in cli(cli_app, "list").output


def test_cli_create_rejects_a_bad_name_when_given(cli_app):
    for name in ("has space", "-dash-first", "a/b", "x" * 101, "<script>", "\u00e9", "a\nb", "trailing\n"):
        result = cli(cli_app, "create", "--", name)
        assert result.exit_code != 0, name
        assert "Invalid token name" in result.output, result.output
    listed = [line.split("\t")[0] for line in cli(cli_app, "list").stdout.splitlines()]
    assert not any(name in listed for name in ("has space", "a/b", "<script>", "\u00e9"))


@pytest.mark.sqlite_only  # reads the database files' bytes
def test_only_the_sha256_is_stored_when_a_token_is_created(app, tmp_path):
    token = cli(app, "create", "stored", "--scope", "read").stdout.strip()
    digest = hashlib.sha256(token.encode()).hexdigest()
    with sqlite3.connect(tmp_path / "mlexp.sqlite") as connection:
        rows = connection.execute("SELECT * FROM api_tokens").fetchall()
    assert len(rows) == 1
    assert digest in rows[0]
    assert not any(token in str(value) for value in rows[0])
    database_files = sorted(tmp_path.glob("mlexp.sqlite*"))
    assert database_files
    stored = b"".join(path.read_bytes() for path in database_files)
    assert token.encode() not in stored
    assert token[len("mlexp_"):].encode() not in stored
    assert digest.encode() in stored  # the search above would have seen the token


# --- the log-in page ------------------------------------------------------------------------

def test_login_page_shows_a_form_with_csrf_when_asked(shared, web):
    html = web.get("/login").get_data(as_text=True)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]{20,}">', html)
    assert 'type="password"' in html
    assert "Signed in as" not in html


def test_login_with_wrong_token_shows_the_error_with_401_when_typed(shared, web):
    response = login(web, "mlexp_wrong")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "That token is unknown or has been revoked." in html
    assert 'role="alert"' in html
    with web.session_transaction() as state:
        assert "sid" not in state
    assert web.get("/").status_code == 302


def test_login_with_empty_token_shows_the_error_when_submitted(shared, web):
    response = login(web, "")
    assert response.status_code == 401
    assert "unknown or has been revoked" in response.get_data(as_text=True)


def test_login_sets_an_httponly_samesite_lax_cookie_when_token_is_right(shared, web):
    response = login(web, shared.writer)
    assert response.status_code == 302
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1
    attributes = [part.strip().lower() for part in cookies[0].split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert shared.writer not in cookies[0]
    page = web.get("/")
    assert page.status_code == 200
    assert "Signed in as <strong>alice</strong>" in page.get_data(as_text=True)


def test_page_session_does_not_authenticate_the_api_when_logged_in(shared, web):
    """API calls carry their token in a header; a cookie alone must not let a page write."""
    login(web, shared.writer)
    assert web.get("/").status_code == 200
    assert_unauthenticated(web.get(f"{API}/experiments/search"))
    assert_unauthenticated(web.post(f"{API}/experiments/create", json={"name": "via-cookie"}))
    assert_unauthenticated(web.post(f"{AJAX}/experiments/create", json={"name": "via-cookie"}))


@pytest.mark.parametrize("next_path, expected", [
    ("/experiments/0?view=all", "/experiments/0?view=all"),
    ("/models/m", "/models/m"),
    ("https://evil.example/steal", None),
    ("http://evil.example", None),
    ("//evil.example/path", None),
    ("///evil.example", None),
    ("\\\\evil.example", None),
    ("/\t/evil.example", None),
    ("javascript:alert(1)", None),
    ("evil.example", None),
    ("", None),
    ("/experiments\r\nSet-Cookie: planted=1", None),
    ("/experiments\x00", None),
])
def test_login_redirects_to_next_only_when_it_is_a_local_path(shared, web, next_path, expected):
    response = login(web, shared.writer, next_path)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\n" not in location and "\r" not in location
    assert not any("planted" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    if expected is not None:
        assert location == expected
    else:
        assert location in ("/", "/experiments"), location


def test_login_redirect_never_leaves_the_site_when_next_uses_a_backslash(shared, web):
    """Browsers read `/\\evil.example` as `//evil.example`."""
    location = login(web, shared.writer, "/\\evil.example").headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location


def test_login_page_carries_next_from_the_redirect_when_sent_to_log_in(shared, web):
    target = web.get("/models/m").headers["Location"]
    html = web.get(target).get_data(as_text=True)
    next_value = re.search(r'name="next" value="([^"]*)"', html).group(1)
    assert next_value == "/models/m"
    assert login(web, shared.reader, next_value).headers["Location"] == "/models/m"


def test_login_page_drops_a_foreign_next_when_rendered(shared, web):
    html = web.get("/login?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in html


def test_login_without_csrf_answers_400_when_posted(shared, web):
    response = web.post("/login", data={"token": shared.writer})
    assert response.status_code == 400
    with web.session_transaction() as state:
        assert "sid" not in state
    page_csrf(web)
    response = web.post("/login", data={"token": shared.writer, "csrf_token": "forged"})
    assert response.status_code == 400
    assert web.get("/").status_code == 302


def test_logout_is_a_csrf_protected_post_that_clears_the_session_when_sent(shared, web):
    login(web, shared.writer)
    assert web.get("/").status_code == 200
    assert web.get("/logout").status_code == 405
    assert web.post("/logout", data={}).status_code == 400
    assert web.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert web.get("/").status_code == 200  # still logged in
    response = web.post("/logout", data={"csrf_token": page_csrf(web, "/")})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    with web.session_transaction() as state:
        assert dict(state) == {}
    assert web.get("/").status_code == 302
    assert_unauthenticated(web.get(f"{API}/experiments/search"))


def test_logout_form_is_shown_with_its_csrf_token_when_logged_in(shared, web):
    login(web, shared.writer)
    html = web.get("/").get_data(as_text=True)
    form = re.search(r'<form method="post" action="/logout"[^>]*>(.*?)</form>', html, re.DOTALL)
    assert form, html
    with web.session_transaction() as state:
        assert f'name="csrf_token" value="{state["csrf"]}"' in form.group(1)
    assert "Log out" in form.group(1)


def test_header_says_read_only_when_logged_in_with_a_read_token(shared, web):
    login(web, shared.reader)
    html = web.get("/").get_data(as_text=True)
    assert "Signed in as <strong>reader</strong> (read only)" in html
    other = shared.app.test_client()
    login(other, shared.writer)
    html = other.get("/").get_data(as_text=True)
    assert "Signed in as <strong>alice</strong>" in html
    assert "(read only)" not in html


def test_read_session_cannot_post_page_forms_when_logged_in_with_a_read_token(shared, web):
    login(web, shared.reader)
    eid = shared.experiment_id
    csrf = page_csrf(web, f"/experiments/{eid}/runs/1")
    forms = [(f"/experiments/{eid}/runs/1/delete", {}),
             (f"/experiments/{eid}/delete", {}),
             (f"/experiments/{eid}/runs/1/promote", {"model": "promoted", "alias": "x"}),
             ("/models/m/description", {"description": "defaced"}),
             ("/models/m/delete", {})]
    for path, data in forms:
        response = web.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 403, path
        assert "read scope" in response.get_data(as_text=True)
    headers = bearer(shared.writer)
    assert get_run(web, shared.run_id, headers)["info"]["lifecycle_stage"] == "active"
    experiment = web.get(f"{API}/experiments/get", headers=headers,
                         query_string={"experiment_id": eid}).get_json()["experiment"]
    assert experiment["lifecycle_stage"] == "active"
    models = web.get(f"{API}/registered-models/search", headers=headers).get_json()
    assert [m["name"] for m in models["registered_models"]] == ["m"]
    assert models["registered_models"][0].get("description", "") == ""


def test_write_session_posts_page_forms_only_with_csrf_when_logged_in(shared, web):
    run = scratch_run(shared)
    run_id, eid = run["info"]["run_id"], shared.scratch_experiment_id
    iid = int(run["info"]["artifact_uri"].rsplit("/", 1)[1])
    login(web, shared.writer)
    path = f"/experiments/{eid}/runs/{iid}/delete"
    assert web.post(path, data={}).status_code == 400
    assert web.post(path, data={"csrf_token": "forged"}).status_code == 400
    assert get_run(web, run_id, bearer(shared.writer))["info"]["lifecycle_stage"] == "active"
    csrf = page_csrf(web, f"/experiments/{eid}/runs/{iid}")
    assert web.post(path, data={"csrf_token": csrf}).status_code == 302
    assert get_run(web, run_id, bearer(shared.writer))["info"]["lifecycle_stage"] == "deleted"


def test_read_session_sees_every_page_when_logged_in_with_a_read_token(shared, web):
    login(web, shared.reader)
    for rule, method, url in rules(shared.app, api=False):
        if method != "GET" or rule.endpoint in ("static",):
            continue
        response = web.get(url)
        assert response.status_code not in (401, 403), url
        if response.status_code == 302:
            assert urlsplit(response.headers["Location"]).path != "/login", url
    for path in ("/", f"/experiments/{shared.experiment_id}", f"/experiments/{shared.experiment_id}/runs/1",
                 "/models", "/models/m", "/packages"):
        assert web.get(path).status_code == 200, path


# --- security headers ----------------------------------------------------------------------

def _assert_security_headers(response, what: str) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, what
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    script_src = directives.get("script-src", directives.get("default-src"))
    assert script_src is not None, (what, csp)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, (what, csp)
    assert "*" not in script_src, (what, csp)
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what


def test_security_headers_are_on_every_kind_of_response_when_access_is_open(open_client):
    for what, response in {
        "page": open_client.get("/"),
        "api ok": open_client.get(f"{API}/experiments/search"),
        "api error": open_client.get(f"{API}/experiments/get", query_string={"experiment_id": "999"}),
        "api 404": open_client.get(f"{API}/nope"),
        "page 404": open_client.get("/nope"),
        "health": open_client.get("/health"),
        "static": open_client.get("/static/style.css"),
    }.items():
        _assert_security_headers(response, what)


def test_security_headers_are_on_every_kind_of_response_when_tokens_exist(shared, web):
    logged_in = shared.app.test_client()
    login(logged_in, shared.reader)
    responses = {
        "login page": web.get("/login"),
        "login failure": login(shared.app.test_client(), "wrong"),
        "login redirect": login(shared.app.test_client(), shared.writer),
        "page redirect": web.get("/experiments"),
        "api 401": web.get(f"{API}/experiments/search"),
        "api 403": web.post(f"{API}/experiments/create", json={"name": "x"}, headers=bearer(shared.reader)),
        "api 200": web.get(f"{API}/experiments/search", headers=bearer(shared.reader)),
        "api 400": web.post(f"{API}/runs/search", data="{", content_type="application/json",
                               headers=bearer(shared.reader)),
        "artifact": web.get(f"{ARTIFACTS}/{shared.package}/hello.txt", headers=bearer(shared.reader)),
        "experiments page": logged_in.get("/"),
        "run page": logged_in.get(f"/experiments/{shared.experiment_id}/runs/1"),
        "models page": logged_in.get("/models/m"),
        "page 403": logged_in.post(f"/experiments/{shared.experiment_id}/runs/1/delete",
                                   data={"csrf_token": page_csrf(logged_in, "/")}),
        "page 404": logged_in.get("/experiments/987654"),
        "health": web.get("/health"),
        "static": web.get("/static/app.js"),
        "csrf 400": web.post("/logout", data={}),
    }
    for what, response in responses.items():
        _assert_security_headers(response, what)


def test_pages_have_no_inline_script_or_handlers_when_rendered(shared, web):
    """What the CSP forbids must not be in our own pages (the browser test checks this live)."""
    login(web, shared.writer)
    for path in ("/", "/login", f"/experiments/{shared.experiment_id}",
                 f"/experiments/{shared.experiment_id}/runs/1", "/models", "/models/m", "/packages"):
        html = web.get(path).get_data(as_text=True)
        for tag, body in re.findall(r"(<script\b[^>]*>)(.*?)</script>", html, re.IGNORECASE | re.DOTALL):
            assert "src=" in tag and not body.strip(), (path, tag, body)
        assert not re.search(r"\son[a-z]+\s*=", html, re.IGNORECASE), path
        assert "javascript:" not in html.lower(), path
        assert " style=" not in html, path  # style-src 'self' blocks inline style attributes


# --- the JSON body limit -------------------------------------------------------------------

def _limit_mentioned(message: str) -> bool:
    return f"{LIMIT:,}" in message or str(LIMIT) in message


@pytest.mark.parametrize("prefix", [API, AJAX])
def test_json_body_over_the_limit_is_refused_and_run_unchanged_when_posted(open_client, prefix):
    client = open_client
    run = client.post(f"{prefix}/runs/create", json={"experiment_id": "0"}).get_json()["run"]
    run_id = run["info"]["run_id"]
    body = {"run_id": run_id, "params": [{"key": "p", "value": "v"}],
            "metrics": [{"key": f"m{i}", "value": i, "timestamp": 1, "step": 0} for i in range(100)]}
    assert len(json.dumps(body)) > LIMIT
    response = client.post(f"{prefix}/runs/log-batch", json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert set(error) == {"error_code", "message"}
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert _limit_mentioned(error["message"]), error
    after = client.get(f"{prefix}/runs/get", query_string={"run_id": run_id}).get_json()["run"]
    assert after["data"].get("metrics", []) == [] and after["data"].get("params", []) == []
    assert tags_of(after) == tags_of(run)


def test_json_body_just_under_the_limit_is_accepted_when_posted(open_client):
    client = open_client
    run = client.post(f"{API}/runs/create", json={"experiment_id": "0"}).get_json()["run"]
    run_id = run["info"]["run_id"]
    skeleton = json.dumps({"run_id": run_id, "key": "note", "value": ""}).encode()
    value = "x" * (LIMIT - len(skeleton))
    body = json.dumps({"run_id": run_id, "key": "note", "value": value}).encode()
    assert len(body) == LIMIT
    response = client.post(f"{API}/runs/set-tag", data=body, content_type="application/json")
    assert response.status_code == 200, response.get_json()
    over = json.dumps({"run_id": run_id, "key": "note2", "value": value + "y"}).encode()
    response = client.post(f"{API}/runs/set-tag", data=over, content_type="application/json")
    assert response.status_code == 400 and _limit_mentioned(response.get_json()["message"])
    tags = tags_of(client.get(f"{API}/runs/get", query_string={"run_id": run_id}).get_json()["run"])
    assert tags["note"] == value and "note2" not in tags


def test_json_body_limit_applies_whatever_the_content_type_when_posted(open_client):
    client = open_client
    name = "big-" + "n" * (LIMIT + 10)
    body = json.dumps({"name": name})
    for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
        response = client.post(f"{API}/experiments/create", data=body, content_type=content_type)
        assert response.status_code == 400, content_type
        assert response.get_json()["error_code"] == "INVALID_PARAMETER_VALUE"
    names = [e["name"] for e in client.get(f"{API}/experiments/search").get_json()["experiments"]]
    assert name not in names and "Default" in names


def test_json_body_limit_is_checked_after_access_when_tokens_exist(tmp_path):
    small_app = make_app(tmp_path, MAX_JSON_BYTES=LIMIT)
    client = small_app.test_client()
    reader = add_token(small_app, "reader", "read")
    big = {"name": "n" * (LIMIT + 10)}
    assert_unauthenticated(client.post(f"{API}/experiments/create", json=big))
    assert_permission_denied(client.post(f"{API}/experiments/create", json=big, headers=bearer(reader)))


def test_json_body_limit_leaves_artifact_uploads_alone_when_they_are_bigger(open_client):
    client = open_client
    run = client.post(f"{API}/runs/create", json={"experiment_id": "0"}).get_json()["run"]
    package = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:/")
    blob = b"z" * (LIMIT * 4)
    assert client.put(f"{ARTIFACTS}/{package}/big.bin", data=blob).status_code == 200
    assert client.get(f"{ARTIFACTS}/{package}/big.bin").data == blob


# --- the start-up warning (the e2e test watches a real `python app.py --host 0.0.0.0`) -------

@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.1.1"])
def test_no_warning_when_serving_on_loopback_without_tokens(open_app, caplog, host):
    from mlexp.http.access import warn_if_exposed

    with caplog.at_level(logging.WARNING, logger="mlexp"):
        warn_if_exposed(open_app, host)
    assert caplog.records == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "my-host.example"])
def test_warning_names_the_address_when_serving_beyond_loopback_without_tokens(open_app, caplog, host):
    from mlexp.http.access import warn_if_exposed

    with caplog.at_level(logging.WARNING, logger="mlexp"):
        warn_if_exposed(open_app, host)
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.levelno == logging.WARNING
    assert host in record.getMessage() and "tokens create" in record.getMessage()


def test_no_warning_when_serving_beyond_loopback_with_tokens_or_auth_required(shared, tmp_path, caplog):
    from mlexp.http.access import warn_if_exposed

    required = make_app(tmp_path, AUTH="required")
    with caplog.at_level(logging.WARNING, logger="mlexp"):
        warn_if_exposed(shared.app, "0.0.0.0")
        warn_if_exposed(required, "0.0.0.0")
    assert caplog.records == []
