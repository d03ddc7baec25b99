"""Logging in to a token-protected server in Chromium, and the CSP not breaking our own pages."""
import re

import pytest
from playwright.sync_api import expect

from mlexp.services import tokens as token_service
from tests.databases import make_app
from tests.e2e.live_server import LiveServer

CSP_MARK = "Content Security Policy"
# Collects the browser's own CSP reports; Playwright injects it without being subject to the CSP.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI));
"""


@pytest.fixture(scope="module")
def protected_server(tmp_path_factory):
    """A live server over the demo data with a write token `browser-writer` and a read token."""
    instance = tmp_path_factory.mktemp("login-instance")
    app = make_app(instance)
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        made = {"writer": token_service.create_token("browser-writer", "write"),
                "reader": token_service.create_token("browser-reader", "read")}
    try:
        server = LiveServer(instance)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield {"url": server.url, **made}
    finally:
        server.stop()


@pytest.fixture
def tab(browser, protected_server):
    """A page in a fresh context; CSP reports and script errors are collected, not fatal."""
    context = browser.new_context(base_url=protected_server["url"])
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.csp_console = []
    page.script_errors = []
    page.on("console", lambda msg: page.csp_console.append(msg.text) if CSP_MARK in msg.text else None)
    page.on("pageerror", lambda exc: page.script_errors.append(str(exc)))
    yield page
    context.close()


def csp_violations(page) -> list[str]:
    return page.csp_console + page.evaluate("window.__cspViolations")


def log_in(page, token: str) -> None:
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Log in").click()


def test_person_logs_in_and_out_when_the_server_needs_a_token(tab, protected_server):
    tab.goto("/")
    expect(tab).to_have_url(re.compile(r"/login\?next=/"))
    expect(tab.get_by_role("heading", name="Log in")).to_be_visible()
    assert csp_violations(tab) == []

    log_in(tab, "mlexp_this-is-not-it")
    expect(tab.get_by_role("alert")).to_contain_text("unknown or has been revoked")
    expect(tab.get_by_role("heading", name="Log in")).to_be_visible()

    log_in(tab, protected_server["writer"])
    expect(tab.get_by_role("heading", name="Experiments")).to_be_visible()
    expect(tab.locator("header")).to_contain_text("Signed in as browser-writer")
    expect(tab.locator("header")).not_to_contain_text("read only")
    expect(tab.get_by_role("link", name="image-classifier")).to_be_visible()

    cookies = {c["name"]: c for c in tab.context.cookies()}
    assert cookies["session"]["httpOnly"] is True
    assert cookies["session"]["sameSite"] == "Lax"
    assert "session=" not in tab.evaluate("document.cookie")

    tab.get_by_role("button", name="Log out").click()
    expect(tab.get_by_role("heading", name="Log in")).to_be_visible()
    expect(tab).to_have_url(re.compile(r"/login$"))
    tab.goto("/experiments")
    expect(tab).to_have_url(re.compile(r"/login\?next=/experiments"))
    assert csp_violations(tab) == []
    assert tab.script_errors == []


def test_login_returns_to_the_page_asked_for_when_sent_there_first(tab, protected_server):
    tab.goto("/models")
    expect(tab).to_have_url(re.compile(r"/login\?next=/models"))
    log_in(tab, protected_server["reader"])
    expect(tab).to_have_url(re.compile(r"/models$"))
    expect(tab.locator("header")).to_contain_text("Signed in as browser-reader (read only)")


def test_pages_raise_no_csp_violations_when_browsed_logged_in(tab, protected_server):
    tab.goto("/login")
    log_in(tab, protected_server["writer"])
    expect(tab.get_by_role("heading", name="Experiments")).to_be_visible()
    tab.get_by_role("link", name="image-classifier").click()
    expect(tab.locator("table.runs tbody tr").first).to_be_visible()
    tab.locator("table.runs tbody tr").first.locator("td").nth(1).get_by_role("link").click()
    expect(tab.locator("h1")).to_contain_text(re.compile(r"image-classifier / Run \d+"))
    expect(tab.locator("svg.chart polyline").first).to_be_visible()
    # The copy button is revealed by static/app.js: proof that our own script ran under the CSP.
    expect(tab.get_by_role("button", name="Copy")).to_be_visible()
    tab.goto("/experiments/1/runs/1")
    expect(tab.locator("img.preview")).to_be_visible()
    assert tab.locator("img.preview").evaluate("img => img.naturalWidth") > 0
    # The stylesheet applied too (style-src 'self'): the top bar is laid out as flex.
    assert tab.locator("header.topbar").evaluate("el => getComputedStyle(el).display") == "flex"
    assert csp_violations(tab) == []
    assert tab.script_errors == []


def test_csp_blocks_injected_inline_script_when_a_page_is_attacked(tab, protected_server):
    """The control for the checks above: the listener does see violations, and they block."""
    tab.goto("/login")
    tab.evaluate("""() => {
        window.__pwned = false;
        const img = document.createElement("img");
        img.setAttribute("src", "/no-such-image");
        img.setAttribute("onerror", "window.__pwned = true");
        document.body.appendChild(img);
        const script = document.createElement("script");
        script.textContent = "window.__pwned = true";
        document.body.appendChild(script);
    }""")
    tab.wait_for_function("window.__cspViolations.length >= 2")
    assert tab.evaluate("window.__pwned") is False
    assert any("script-src" in v for v in tab.evaluate("window.__cspViolations"))
