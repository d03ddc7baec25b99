"""Which credentials the server takes (Bearer, Basic with the token as password, nothing else),
how revocation and the token cache end them, and the token's name recorded as a run's user."""
import base64
import hashlib
import time

import pytest

from mlexp.services import tokens as token_service
from tests.api.access.helpers import (AJAX, API, assert_login_redirect, assert_permission_denied,
                                      assert_unauthenticated, get_run, scratch_run)
from tests.api.credentials import add_token, basic, bearer, login, raw_basic, revoke
from tests.api.helpers import tags_of


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
