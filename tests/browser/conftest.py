"""Headless Chromium (Debian's package) driven by Playwright against a live demo server."""
import os
import shutil
import subprocess
import sys

import pytest

from tests import databases
from tests.e2e.conftest import PROJECT_ROOT, server_url  # noqa: F401  (a fixture)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def server_instance(tmp_path_factory):
    """An instance filled by `flask --app app demo`, for the live server to serve."""
    instance = tmp_path_factory.mktemp("browser-instance")
    subprocess.run([sys.executable, "-m", "flask", "--app", "app", "demo"], cwd=PROJECT_ROOT, check=True,
                   env={**os.environ, "MLEXP_INSTANCE": str(instance), **databases.instance_env(instance)},
                   capture_output=True)
    return instance


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (see README.md)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, server_url):
    """A fresh page whose console errors and failed requests fail the test."""
    context = browser.new_context(base_url=server_url)
    tab = context.new_page()
    problems = []
    tab.on("console", lambda msg: problems.append(f"console {msg.type}: {msg.text}")
           if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    # A request the page's own navigation cancels (the favicon of a page that replaces itself at
    # once) fails with net::ERR_ABORTED: not the server's doing. Every other failure counts.
    tab.on("requestfailed", lambda req: problems.append(f"request failed: {req.url} ({req.failure})")
           if req.failure != "net::ERR_ABORTED" else None)
    yield tab
    context.close()
    assert problems == []
