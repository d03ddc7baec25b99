"""Experiment list, runs table and run pages through the test client: values shown, escaping."""
import re

import pytest

from tests.conftest import Api

XSS = "<script>alert(1)</script>"


@pytest.fixture
def world(api: Api, client):
    """An experiment with three runs (lr 0.1/0.2/0.3, loss curves), a nested run and artifacts."""
    experiment_id = api.create_experiment("vision <b>x</b>")
    run_ids = []
    for index, lr in enumerate(("0.1", "0.2", "0.3")):
        run = api.create_run(experiment_id, run_name=f"run-{lr}", start_time=1000 + index)
        run_id = run["info"]["run_id"]
        api.ok_post("/runs/log-batch", {
            "run_id": run_id, "params": [{"key": "lr", "value": lr}],
            "metrics": [{"key": "loss", "value": float(lr) * 10 / (s + 1), "timestamp": 1000 + s, "step": s}
                        for s in range(20)],
            "tags": [{"key": "note", "value": XSS}]})
        run_ids.append(run_id)
    child = api.create_run(experiment_id, run_name="child",
                           tags=[{"key": "mlflow.parentRunId", "value": run_ids[0]}])
    base = f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1"
    client.put(f"{base}/table.csv", data=b"a,b\n1,<i>2</i>\n")
    client.put(f"{base}/readme.txt", data=XSS.encode())
    client.put(f"{base}/plot.png", data=b"\x89PNG\r\n\x1a\nfake")
    return {"experiment_id": experiment_id, "run_ids": run_ids, "child": child["info"]["run_id"]}


def _html(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def test_list_shows_experiments_with_run_counts_when_runs_exist(client, world):
    html = _html(client, "/")
    assert "vision &lt;b&gt;x&lt;/b&gt;" in html
    row = re.search(r"vision &lt;b&gt;x&lt;/b&gt;.*?</tr>", html, re.S).group(0)
    assert '<td class="num">4</td>' in row


def test_list_searches_by_name_when_query_given(client, world):
    assert "vision" in _html(client, "/experiments?q=VISION")
    assert "vision" not in _html(client, "/experiments?q=nomatch")


def test_list_shows_snippet_when_no_run_exists(client):
    html = _html(client, "/")
    assert "MLFLOW_TRACKING_URI" in html and "mlflow.set_experiment" in html


def test_runs_table_shows_param_and_metric_columns_when_runs_logged(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}")
    assert ">lr<" in html or "lr</a>" in html
    for lr in ("0.1", "0.2", "0.3"):
        assert f">run-{lr}</a>" in html
    assert XSS not in html


def test_runs_table_filters_with_mlflow_grammar_when_filter_given(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}?filter=params.lr+%3D+%270.2%27")
    assert ">run-0.2</a>" in html and ">run-0.1</a>" not in html


def test_runs_table_shows_parser_message_when_filter_is_bad(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}?filter=metrics.loss+LIKE+%27x%27")
    assert 'class="error"' in html and "Invalid comparator" in html


def test_runs_table_sorts_by_metric_when_ordered(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}?order=metrics.loss+DESC")
    assert html.index(">run-0.3</a>") < html.index(">run-0.2</a>") < html.index(">run-0.1</a>")


def test_csv_lists_every_run_when_downloaded(client, world):
    response = client.get(f"/experiments/{world['experiment_id']}/runs.csv?order=params.lr")
    lines = response.get_data(as_text=True).strip().splitlines()
    assert response.mimetype == "text/csv"
    assert lines[0].startswith("run_id,iid,run_name")
    assert len(lines) == 5


def test_run_page_shows_params_metrics_chart_and_tags_escaped_when_opened(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}/runs/1")
    assert "vision &lt;b&gt;x&lt;/b&gt; / Run 1" in html
    assert world["run_ids"][0] in html
    assert "<svg" in html and "<polyline" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and XSS not in html
    assert ">child</a>" in html


def test_run_page_previews_artifacts_when_run_has_files(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}/runs/1")
    assert "<td>&lt;i&gt;2&lt;/i&gt;</td>" in html
    assert f'/experiments/{world["experiment_id"]}/runs/1/images/plot.png' in html
    image = client.get(f"/experiments/{world['experiment_id']}/runs/1/images/plot.png")
    assert image.mimetype == "image/png"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/experiments/{world['experiment_id']}/runs/1/images/readme.txt").status_code == 404


def test_run_id_redirects_to_iid_page_when_followed(client, world):
    response = client.get(f"/runs/{world['run_ids'][1]}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/experiments/{world['experiment_id']}/runs/2")


def test_child_links_to_parent_when_nested(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}/runs/4")
    assert "Parent run" in html and ">run-0.1</a>" in html


def test_unknown_run_shows_not_found_page_when_iid_missing(client, world):
    assert "Not found" in _html(client, f"/experiments/{world['experiment_id']}/runs/99", 404)


def test_delete_needs_csrf_token_when_posted(client, world):
    response = client.post(f"/experiments/{world['experiment_id']}/runs/1/delete")
    assert response.status_code == 400
    html = _html(client, f"/experiments/{world['experiment_id']}/runs/1")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/experiments/{world['experiment_id']}/runs/1/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert "badge danger" in _html(client, f"/experiments/{world['experiment_id']}/runs/1")


def test_run_page_links_ci_job_pipeline_and_merge_request_when_tagged(api, client):
    experiment_id = api.create_experiment("ci")
    api.create_run(experiment_id, tags=[
        {"key": "gitlab.CI_JOB_ID", "value": "42"}, {"key": "gitlab.CI_JOB_NAME", "value": "train"},
        {"key": "gitlab.CI_PIPELINE_ID", "value": "7"},
        {"key": "gitlab.CI_PROJECT_URL", "value": "https://gitlab.example.com/ml/app"},
        {"key": "gitlab.CI_MERGE_REQUEST_IID", "value": "3"},
        {"key": "gitlab.CI_MERGE_REQUEST_TITLE", "value": "<b>Tune</b>"}])
    api.create_run(experiment_id, tags=[{"key": "gitlab.CI_JOB_URL", "value": "javascript:alert(1)"},
                                        {"key": "gitlab.CI_JOB_ID", "value": "43"}])
    api.create_run(experiment_id)
    html = _html(client, f"/experiments/{experiment_id}/runs/1")
    assert 'href="https://gitlab.example.com/ml/app/-/jobs/42"' in html
    assert 'href="https://gitlab.example.com/ml/app/-/pipelines/7"' in html
    assert "!3 &lt;b&gt;Tune&lt;/b&gt;" in html
    assert "runs of this pipeline" in html
    hostile = _html(client, f"/experiments/{experiment_id}/runs/2")
    assert "javascript:" not in hostile.split("<h2>CI</h2>")[1].split("<h2>Parameters")[0]
    assert "Not linked to a CI job." in _html(client, f"/experiments/{experiment_id}/runs/3")
    table = _html(client, f"/experiments/{experiment_id}")
    assert ">train</a>" in table
    pipeline_runs = _html(client, f"/experiments/{experiment_id}?filter=tags.%60gitlab.CI_PIPELINE_ID%60+%3D+%277%27")
    assert pipeline_runs.count('class="status running"') == 1


def test_runs_group_under_their_pipeline_when_grouping_by_pipeline(api, client):
    experiment_id = api.create_experiment("grouped")
    for pipeline in ("7", "8", "7"):
        api.create_run(experiment_id, tags=[{"key": "gitlab.CI_PIPELINE_ID", "value": pipeline},
                                            {"key": "gitlab.CI_PROJECT_URL", "value": "https://gl.example/p"}])
    api.create_run(experiment_id)
    html = _html(client, f"/experiments/{experiment_id}?group=pipeline")
    assert html.count('<tr class="group">') == 3
    assert '<a href="https://gl.example/p/-/pipelines/7" rel="noopener">Pipeline #7</a> <span class="muted">· 2 runs</span>' in html
    assert "Not from CI" in html


def test_compare_marks_differing_params_and_overlays_histories_when_two_runs_chosen(client, world):
    html = _html(client, f"/experiments/{world['experiment_id']}/compare?runs=1&runs=3&x=params.lr&y=metrics.loss")
    assert "Compare 2 runs" in html
    row = re.search(r'<tr class="differs"><th>lr</th>.*?</tr>', html, re.S).group(0)
    assert "<td>0.1</td>" in row and "<td>0.3</td>" in row
    history_chart = html.split("<h2>Metric histories</h2>")[1].split("<h2>Scatter</h2>")[0]
    assert history_chart.count("<polyline") == 2
    scatter = html.split("<h2>Scatter</h2>")[1]
    assert "metrics.loss against params.lr" in scatter and scatter.count("<circle") == 2


def test_compare_needs_two_runs_when_one_is_chosen(client, world):
    response = client.get(f"/experiments/{world['experiment_id']}/compare?runs=1")
    assert response.status_code == 400
    assert "at least two runs" in response.get_data(as_text=True)


def test_markdown_artifact_renders_safely_when_previewed(api, client):
    experiment_id = api.create_experiment("md")
    api.create_run(experiment_id)
    client.put(f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1/README.md",
               data=b"# Report\n*good* <script>alert(1)</script>")
    html = _html(client, f"/experiments/{experiment_id}/runs/1")
    assert "<h1>Report</h1>" in html and "<em>good</em>" in html
    assert "<script>alert(1)</script>" not in html


def test_runs_table_links_ci_pipeline_filter_when_run_is_from_ci(api, client):
    experiment_id = api.create_experiment("ci-table")
    api.create_run(experiment_id, tags=[{"key": "gitlab.CI_JOB_ID", "value": "1"},
                                        {"key": "gitlab.CI_PIPELINE_ID", "value": "5"}])
    html = _html(client, f"/experiments/{experiment_id}")
    assert "filter=tags.%60gitlab.CI_PIPELINE_ID%60+%3D+&#39;5&#39;" in html
