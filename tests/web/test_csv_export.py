"""The runs table's CSV export: formula-like text defused, numbers kept, bad input refused up front."""
import csv
import io
import logging

import pytest

from tests.conftest import Api

HYPERLINK = '=HYPERLINK("http://evil.example","x")'


def _csv(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_csv_prefixes_a_quote_when_text_starts_like_a_formula(api: Api, client):
    experiment_id = api.create_experiment("csv")
    run_id = api.create_run(experiment_id, run_name=HYPERLINK, user_id="@admin")["info"]["run_id"]
    params = {"sum": "=1+2", "plus": "+cmd|' /C calc'!A0", "minus": "-2+3", "at": "@SUM(1)",
              "tab": "\t=1", "cr": "\r=1", "inner": "a=1", "negative": "-0.5", "signed": "+1e5"}
    api.ok_post("/runs/log-batch", {
        "run_id": run_id, "params": [{"key": k, "value": v} for k, v in params.items()],
        "metrics": [{"key": "loss", "value": -0.5, "timestamp": 1}]})
    (row,) = _csv(client, f"/experiments/{experiment_id}/runs.csv")
    assert row["run_name"] == "'" + HYPERLINK and row["user_id"] == "'@admin"
    assert {k: row[f"params.{k}"] for k in params} == {
        "sum": "'=1+2", "plus": "'+cmd|' /C calc'!A0", "minus": "'-2+3", "at": "'@SUM(1)",
        "tab": "'\t=1", "cr": "'\r=1", "inner": "a=1", "negative": "-0.5", "signed": "+1e5"}
    assert row["metrics.loss"] == "-0.5"


def test_csv_writes_nan_when_latest_metric_is_nan(api: Api, client):
    experiment_id = api.create_experiment("csv")
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "loss", "value": -0.5, "timestamp": 1}, {"key": "gap", "value": "NaN", "timestamp": 1}]})
    (row,) = _csv(client, f"/experiments/{experiment_id}/runs.csv")
    assert row["metrics.loss"] == "-0.5" and row["metrics.gap"] == "NaN"


@pytest.mark.parametrize("query, message", [
    ("filter=bogus", "bogus"), ("filter=metrics.loss+LIKE+%27x%27", "Invalid comparator"),
    ("order=bogus.key", "bogus")])
def test_csv_answers_400_before_any_row_when_filter_or_order_is_bad(api, client, caplog, query, message):
    experiment_id = api.create_experiment("csv")
    api.create_run(experiment_id)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"/experiments/{experiment_id}/runs.csv?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert message in response.get_data(as_text=True)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
