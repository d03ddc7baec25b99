"""Pages with extreme data: metric values at float's limits and times no calendar can show."""
import re

import pytest

from tests.conftest import Api

INT64_MAX, INT64_MIN = 2**63 - 1, -2**63
YEAR_10000_MS = 253402300800000


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def _svg_numbers_are_finite(html: str) -> None:
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        coordinates = re.findall(r'\b(?:x|y|x1|x2|y1|y2|cx|cy|points)="([^"]*)"', svg)
        assert not [c for c in coordinates if "inf" in c or "nan" in c], svg


@pytest.fixture
def extreme(api: Api):
    """Two runs logging values a float barely tells apart, values at float's ends, NaN, inf and
    subnormals, at steps at int64's ends."""
    experiment_id = api.create_experiment("extreme")
    for _ in range(2):
        run_id = api.create_run(experiment_id)["info"]["run_id"]
        points = {"close": [1e16, 1e16 + 2], "ends": [1.7e308, -1.7e308], "top": [1.7e308, 1.7e308],
                  "tiny": [5e-324, 1e-323], "odd": ["NaN", "Infinity"]}
        api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": key, "value": value, "timestamp": 1, "step": step}
            for key, values in points.items() for step, value in zip((0, 1), values)]})
        api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "wide_steps", "value": float(v), "timestamp": 1, "step": step}
            for v, step in enumerate((INT64_MIN, 0, INT64_MAX))]})
    return experiment_id


def test_pages_render_charts_when_metrics_hold_extreme_values(client, extreme):
    for url in (f"/experiments/{extreme}/runs/1", f"/experiments/{extreme}",
                f"/experiments/{extreme}/compare?runs=1&runs=2&x=metrics.ends&y=metrics.close"):
        html = _page(client, url)
        assert html.count("<svg") >= 4, url
        _svg_numbers_are_finite(html)


@pytest.mark.parametrize("start_time, shown", [
    (YEAR_10000_MS, "253402300800000 ms"), (INT64_MAX, f"{INT64_MAX} ms"), (INT64_MIN, f"{INT64_MIN} ms"),
    (-1, "1969-12-31 23:59:59 UTC")])
def test_pages_show_raw_milliseconds_when_a_time_has_no_date(api, client, start_time, shown):
    experiment_id = api.create_experiment("far future")
    run_id = api.create_run(experiment_id, start_time=start_time)["info"]["run_id"]
    api.ok_post("/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": INT64_MAX})
    assert f"<td>{INT64_MAX} ms</td>" in _page(client, "/")  # last activity: the run's end
    assert f"<td>{shown}</td>" in _page(client, f"/experiments/{experiment_id}")
    assert f"<dd>{shown}</dd>" in _page(client, f"/experiments/{experiment_id}/runs/1")
    assert api.ok_get("/runs/get", {"run_id": run_id})["run"]["info"]["start_time"] == start_time


def test_pages_show_duration_when_run_spans_int64(api, client):
    experiment_id = api.create_experiment("long run")
    run_id = api.create_run(experiment_id, start_time=INT64_MIN)["info"]["run_id"]
    api.ok_post("/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": INT64_MAX})
    assert "5124095576030h 25m" in _page(client, f"/experiments/{experiment_id}/runs/1")
