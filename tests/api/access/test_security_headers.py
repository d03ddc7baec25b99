"""Security headers on every kind of response, open or closed, and pages the CSP would not break."""
import re

from tests.api.access.helpers import API, ARTIFACTS
from tests.api.credentials import bearer, login, page_csrf


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
