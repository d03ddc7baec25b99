"""Access is open until the first token exists, then closed to every API route and page except
health, static files and the log-in page; AUTH = "required" closes it from the start."""
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.api.access.helpers import (AJAX, API, assert_login_redirect, assert_unauthenticated, call,
                                      get_run, rules)
from tests.api.credentials import add_token, bearer
from tests.databases import make_app

OPEN_PATHS = ("/health", "/version", "/api/3.0/mlflow/server-info", "/ajax-api/3.0/mlflow/server-info",
              "/static/style.css", "/static/app.js", "/login")


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
