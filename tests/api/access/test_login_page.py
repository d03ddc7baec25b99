"""The log-in page and page sessions: CSRF on every form, safe redirects, log-out, and what a
read-only session may see and post."""
import re
from urllib.parse import urlsplit

import pytest

from tests.api.access.helpers import (AJAX, API, assert_unauthenticated, get_run, rules,
                                      scratch_run)
from tests.api.credentials import bearer, login, page_csrf


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
