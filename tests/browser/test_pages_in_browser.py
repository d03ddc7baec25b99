"""A person's path through the pages, in a real browser: list, experiment, filter, sort, run."""
import re

import requests
from playwright.sync_api import expect


def test_person_finds_best_run_and_sees_its_chart_and_image_when_browsing(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="Experiments")).to_be_visible()
    page.get_by_role("link", name="image-classifier").click()
    expect(page.get_by_role("heading", name=re.compile("image-classifier"))).to_be_visible()
    expect(page.locator("table.runs tbody tr")).to_have_count(12)

    page.get_by_label("Filter runs").fill("params.arch = 'resnet50'")
    page.get_by_role("button", name="Apply").click()
    rows = page.locator("table.runs tbody tr")
    expect(rows.first).to_contain_text("resnet50")
    assert all("resnet50" in text for text in rows.all_inner_texts())

    page.locator("table.runs thead").get_by_role("link", name="accuracy").click()
    expect(page.locator("table.runs thead")).to_contain_text("accuracy ▼")
    cells = page.locator("table.runs tbody tr").evaluate_all(
        "rows => rows.map(r => r.querySelectorAll('td.num')[0].innerText)")
    numbers = [float(c) for c in cells]
    assert len(numbers) >= 2 and numbers == sorted(numbers, reverse=True)

    best = page.locator("table.runs tbody tr").first.locator("td").nth(1).get_by_role("link")
    best.click()
    expect(page.locator("h1")).to_contain_text(re.compile(r"image-classifier / Run \d+"))
    expect(page.locator("svg.chart polyline").first).to_be_visible()


def test_run_page_shows_image_preview_when_run_has_a_png(page):
    page.goto("/experiments/1/runs/1")
    image = page.locator("img.preview")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 48


def test_bad_filter_shows_parser_message_not_an_error_page_when_typed(page):
    page.goto("/experiments/1")
    page.get_by_label("Filter runs").fill("metrics.loss LIKE 'x'")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("alert")).to_contain_text("Invalid comparator")


def test_script_in_a_tag_shows_as_text_when_rendered(page, server_url):
    import requests

    api = server_url + "/api/2.0/mlflow"
    run = requests.post(api + "/runs/create", json={"experiment_id": "1"}).json()["run"]["info"]
    requests.post(api + "/runs/set-tag", json={"run_id": run["run_id"], "key": "note",
                                               "value": "<script>alert(1)</script>"})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/runs/{run['run_id']}")
    expect(page.get_by_text("<script>alert(1)</script>")).to_be_visible()
    assert dialogs == []


def test_person_compares_two_runs_when_ticking_them(page):
    page.goto("/experiments/2")
    page.get_by_label("Compare run 1", exact=True).check()
    page.get_by_label("Compare run 2", exact=True).check()
    page.get_by_role("button", name="Compare selected runs").click()
    expect(page.get_by_role("heading", name="Compare 2 runs")).to_be_visible()
    expect(page.locator("tr.differs").first).to_be_visible()
    expect(page.locator("svg.chart polyline").first).to_be_visible()


def test_copy_button_copies_run_id_when_clicked(page, browser):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/experiments/1/runs/1")
    run_id = page.locator("#run-id").inner_text()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == run_id


def test_links_the_mlflow_client_prints_open_our_pages_when_followed(page, server_url):
    """`end_run` prints "View run … at: <tracking uri>/#/experiments/<id>/runs/<run id>"."""
    runs = requests.post(server_url + "/api/2.0/mlflow/runs/search", timeout=10,
                         json={"experiment_ids": ["1"], "order_by": ["attributes.run_name ASC"]}).json()["runs"]
    run = runs[3]["info"]
    page.goto(f"/#/experiments/1/runs/{run['run_id']}?workspace=default")
    expect(page).to_have_url(re.compile(rf"/experiments/1/runs/{run['artifact_uri'].rsplit('/', 1)[1]}$"))
    expect(page.locator("body")).to_contain_text(run["run_id"])

    page.goto("/#/experiments/1")
    expect(page).to_have_url(re.compile(r"/experiments/1$"))
    expect(page.get_by_role("heading", name=re.compile("image-classifier"))).to_be_visible()

    api = server_url + "/api/2.0/mlflow"
    requests.post(api + "/registered-models/create", json={"name": "linked model"}, timeout=10).raise_for_status()
    requests.post(api + "/model-versions/create", timeout=10, json={
        "name": "linked model", "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]}).raise_for_status()
    page.goto("/#/models/linked%20model/versions/1")
    expect(page).to_have_url(re.compile(r"/models/linked%20model/versions/1$"))
    expect(page.locator("h1")).to_contain_text("linked model")
    page.goto("/#/models/linked%20model")
    expect(page).to_have_url(re.compile(r"/models/linked%20model$"))

    page.goto("/#/traces")  # no page of ours for it: the home page stays
    expect(page.get_by_role("heading", name="Experiments")).to_be_visible()
