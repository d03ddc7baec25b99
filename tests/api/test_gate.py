"""The gate through the test client: rebound Host headers, cross-site writes, the JSON media type,
CORS for allowed origins, and log-out ending a page session for good.

The same checks run under waitress before a body is read: tests/e2e/test_hostile_clients.py.
"""
import json

import pytest

from tests.api.credentials import add_token, login, page_csrf, revoke
from tests.databases import make_app

API = "/api/2.0/mlflow"
EVIL = "http://evil.example"


@pytest.fixture
def experiment_id(api):
    return api.create_experiment("target")


def lifecycle(api, experiment_id) -> str:
    return api.ok_get("/experiments/get", {"experiment_id": experiment_id})["experiment"]["lifecycle_stage"]


def test_cross_site_text_plain_post_cannot_delete_an_experiment_when_a_page_sends_it(client, api, experiment_id):
    body = json.dumps({"experiment_id": experiment_id})
    response = client.post(f"{API}/experiments/delete", data=body, content_type="text/plain",
                           headers={"Origin": EVIL})
    assert response.status_code == 403
    assert response.get_json()["error_code"] == "PERMISSION_DENIED"
    assert "Cross-origin request blocked" in response.get_json()["message"]
    assert lifecycle(api, experiment_id) == "active"


def test_text_plain_body_is_refused_by_the_json_api_when_sent_without_an_origin(client, api, experiment_id):
    body = json.dumps({"experiment_id": experiment_id})
    response = client.post(f"{API}/experiments/delete", data=body, content_type="text/plain")
    assert response.status_code == 400
    assert response.get_json() == {"error_code": "INVALID_PARAMETER_VALUE", "message": (
        "The request body must be JSON sent with Content-Type: application/json (this one says 'text/plain')")}
    assert lifecycle(api, experiment_id) == "active"
    response = client.post(f"{API}/experiments/delete", data=body, content_type="application/json; charset=utf-8")
    assert response.status_code == 200 and lifecycle(api, experiment_id) == "deleted"


def test_cross_site_log_metric_is_refused_and_logs_nothing_when_sent_to_the_fast_lane(client, api):
    run_id = api.create_run()["info"]["run_id"]
    metric = {"run_id": run_id, "key": "loss", "value": 1.0, "timestamp": 1, "step": 0}
    response = client.post(f"{API}/runs/log-metric", json=metric, headers={"Origin": EVIL})
    assert response.status_code == 403
    response = client.post(f"{API}/runs/log-metric", json=metric, base_url="http://evil.example:5000")
    assert response.status_code == 403
    assert "DNS rebinding" in response.get_json()["message"]
    assert api.ok_get("/runs/get", {"run_id": run_id})["run"]["data"].get("metrics", []) == []


@pytest.mark.parametrize("path", [f"{API}/experiments/search", "/", "/experiments", "/static/style.css",
                                  "/login", f"{API}/no-such-endpoint"])
def test_rebound_host_gets_403_on_api_and_pages_when_the_name_is_not_this_servers(client, path):
    response = client.get(path, base_url="http://evil.example:5000")
    assert response.status_code == 403, path
    if path.startswith("/api/"):
        assert response.get_json()["error_code"] == "PERMISSION_DENIED"
    assert "evil.example" in response.get_data(as_text=True)


def test_health_answers_any_host_when_a_load_balancer_asks_by_name(client):
    response = client.get("/health", base_url="http://lb-probe.internal")
    assert (response.status_code, response.get_data()) == (200, b"OK")


@pytest.mark.parametrize("base_url", ["http://localhost", "http://127.0.0.1:5000", "http://[::1]:5000",
                                      "http://192.168.1.7:5000", "http://10.0.0.2"])
def test_loopback_and_private_addresses_are_served_when_nothing_is_configured(client, base_url):
    assert client.get(f"{API}/experiments/search", base_url=base_url).status_code == 200


def test_configured_host_and_origin_are_served_when_a_team_sets_them(tmp_path):
    app = make_app(tmp_path, ALLOWED_HOSTS="mlexp.team.org", CORS_ALLOWED_ORIGINS="https://ui.team.org")
    client = app.test_client()
    team = "https://mlexp.team.org"
    assert client.get(f"{API}/experiments/search", base_url=team).status_code == 200
    assert client.get(f"{API}/experiments/search", base_url="http://192.168.1.7").status_code == 403
    for origin in (team, "https://ui.team.org"):
        response = client.post(f"{API}/experiments/create", json={"name": origin}, base_url=team,
                               headers={"Origin": origin})
        assert response.status_code == 200, origin
    response = client.post(f"{API}/experiments/create", json={"name": "x"}, base_url=team,
                           headers={"Origin": "https://elsewhere.team.org"})
    assert response.status_code == 403


def test_allowed_origin_gets_cors_answers_and_others_do_not_when_a_page_calls_the_api(client):
    preflight = client.options(f"{API}/runs/log-metric", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in preflight.headers
    response = client.get(f"{API}/experiments/search", headers={"Origin": "http://localhost:3000"})
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert response.headers["Vary"] == "Origin"
    for origin in (EVIL, None):
        headers = {"Access-Control-Request-Method": "POST", **({"Origin": origin} if origin else {})}
        refused = client.options(f"{API}/runs/log-metric", headers=headers)
        assert "Access-Control-Allow-Origin" not in refused.headers
        assert "Access-Control-Allow-Origin" not in client.get(f"{API}/experiments/search", headers=headers).headers


def test_page_form_posts_from_this_site_work_when_the_browser_sends_its_origin(client, api, experiment_id):
    csrf = page_csrf(client, f"/experiments/{experiment_id}")
    response = client.post(f"/experiments/{experiment_id}/delete", data={"csrf_token": csrf},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 302 and lifecycle(api, experiment_id) == "deleted"
    response = client.post(f"/experiments/{experiment_id}/restore", data={"csrf_token": csrf},
                           headers={"Origin": EVIL})
    assert response.status_code == 403 and lifecycle(api, experiment_id) == "deleted"


# --- log-out ends the session for good --------------------------------------------------------

def session_cookie(client) -> str:
    return client.get_cookie("session").value


def test_logout_ends_the_session_for_good_when_its_cookie_is_replayed(app):
    writer = add_token(app, "alice")
    browser = app.test_client()
    login(browser, writer)
    stolen = session_cookie(browser)
    other_browser = app.test_client()
    login(other_browser, writer)
    assert browser.get("/").status_code == 200
    browser.post("/logout", data={"csrf_token": page_csrf(browser, "/")})
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/experiments")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert replay.post("/experiments/0/delete", data={"csrf_token": "x"}).status_code == 302
    assert other_browser.get("/").status_code == 200  # its own log-in goes on


def test_revoking_a_token_ends_every_session_it_logged_in_when_revoked(app):
    writer = add_token(app, "alice")
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        login(browser, writer)
        assert browser.get("/").status_code == 200
    revoke(app, "alice")
    assert [browser.get("/").status_code for browser in browsers] == [302, 302]


def test_forged_session_cookie_is_refused_when_it_is_not_signed_by_this_server(app):
    add_token(app, "alice")
    forger = app.test_client()
    forger.set_cookie("session", "eyJzaWQiOiJ4In0.forged.signature")
    assert forger.get("/").status_code == 302
