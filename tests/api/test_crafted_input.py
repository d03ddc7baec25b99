"""Crafted ids, page numbers and page tokens get MLflow's 404 or 400, never a 500 nor a database
error, on every database: run with `--postgres` too, where INTEGER columns are 32-bit.

Each id that reaches a query is read by validation.parse_id: an integer no row can have is a
missing resource (MLflow's wording), as it already was on SQLite below int64; an experiment id
that is no integer is an invalid parameter, as in MLflow (a page URL holding one is not found).
"""
import base64
import hashlib
import hmac
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.helpers import INVALID, NOT_FOUND, assert_error, make_api

I64 = "987654321098"  # fits int64, not PostgreSQL's INTEGER
BIG = "9" * 20  # beyond int64
HUGE = "9" * 5000  # beyond the digits Python's int() reads


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Experiment E with run 1 (a metric, an image) and run 2; model m with version 1. Every
    request below fails, so the world stays as seeded."""
    api = make_api(tmp_path_factory, "crafted")
    experiment_id = api.create_experiment("crafted")
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    api.create_run(experiment_id)
    api.ok_post("/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1})
    api.client.put(f"/api/2.0/mlflow-artifacts/artifacts/ml_experiment_{experiment_id}/1/x.png",
                   data=b"\x89PNG")
    api.ok_post("/registered-models/create", {"name": "m"})
    api.ok_post("/model-versions/create", {"name": "m", "source": f"runs:/{run_id}/model", "run_id": run_id})
    html = api.client.get(f"/experiments/{experiment_id}/runs/1").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return api, {"E": experiment_id, "R": run_id, "CSRF": csrf}


def b64(content) -> str:
    """A token as anyone could make one before tokens were signed."""
    return base64.urlsafe_b64encode(json.dumps(content).encode()).decode()


def resigned(api, token: str, after: list) -> str:
    """A real next_page_token with other sort values, signed with the instance's secret (what a
    forger cannot do): only the type check stands between these values and the query."""
    secret = api.client.application.config["SECRET_KEY"].encode()
    content = json.loads(base64.urlsafe_b64decode(token)[16:])
    payload = json.dumps({**content, "after": after}).encode()
    tag = hmac.new(secret, b"mlexp page token\0" + payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(tag + payload).decode()


def fill(value, ids: dict):
    """Put the seeded ids in for {E}, {R} and {CSRF}."""
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value.format(**ids) if isinstance(value, str) else value


def _version(version: str) -> dict:
    return {"name": "m", "version": version}


# (method, API path, body or query, status, error code, message)
API_IDS = [
    *[("GET", "/experiments/get", {"experiment_id": eid}, 404, NOT_FOUND,
       f"No Experiment with id={eid} exists") for eid in (I64, BIG, HUGE, "-1")],
    ("POST", "/experiments/update", {"experiment_id": I64, "new_name": "x"}, 404, NOT_FOUND, I64),
    ("POST", "/experiments/delete", {"experiment_id": I64}, 404, NOT_FOUND, I64),
    ("POST", "/experiments/restore", {"experiment_id": I64}, 404, NOT_FOUND, I64),
    ("POST", "/experiments/set-experiment-tag", {"experiment_id": I64, "key": "k", "value": "v"},
     404, NOT_FOUND, I64),
    ("POST", "/experiments/delete-experiment-tag", {"experiment_id": I64, "key": "k"}, 404, NOT_FOUND, I64),
    ("POST", "/runs/create", {"experiment_id": I64}, 404, NOT_FOUND, I64),
    ("POST", "/logged-models", {"experiment_id": I64}, 404, NOT_FOUND, I64),
    ("POST", "/logged-models/search", {"experiment_ids": [I64]}, 404, NOT_FOUND, I64),
    *[("GET", "/model-versions/get", _version(v), 404, NOT_FOUND,
       f"Model Version (name=m, version={v}) not found") for v in (I64, BIG, HUGE, "-1")],
    ("GET", "/model-versions/get", _version("abc"), 400, INVALID, "'abc'"),
    ("GET", "/model-versions/get-download-uri", _version(I64), 404, NOT_FOUND, I64),
    ("PATCH", "/model-versions/update", {**_version(I64), "description": "d"}, 404, NOT_FOUND, I64),
    ("POST", "/model-versions/set-tag", {**_version(I64), "key": "k", "value": "v"}, 404, NOT_FOUND, I64),
    ("DELETE", "/model-versions/delete-tag", {**_version(I64), "key": "k"}, 404, NOT_FOUND, I64),
    ("DELETE", "/model-versions/delete", _version(BIG), 404, NOT_FOUND, BIG),
    ("POST", "/model-versions/transition-stage", {**_version(I64), "stage": "Staging"}, 404, NOT_FOUND, I64),
    ("POST", "/registered-models/alias", {**_version(I64), "alias": "a"}, 404, NOT_FOUND, I64),
]

# Experiment ids that are no integer: MLflow 3.17 answers INVALID_PARAMETER_VALUE on every endpoint
# (utils/validation.py _parse_experiment_id, called by its store's _get_experiment and searches).
NOT_INTEGER = ("abc", " 1", "1.0", "\u0661")
EXPERIMENT_ID_ENDPOINTS = [
    ("GET", "/experiments/get", {"experiment_id": "{X}"}),
    ("POST", "/experiments/update", {"experiment_id": "{X}", "new_name": "x"}),
    ("POST", "/experiments/delete", {"experiment_id": "{X}"}),
    ("POST", "/experiments/restore", {"experiment_id": "{X}"}),
    ("POST", "/experiments/set-experiment-tag", {"experiment_id": "{X}", "key": "k", "value": "v"}),
    ("POST", "/experiments/delete-experiment-tag", {"experiment_id": "{X}", "key": "k"}),
    ("POST", "/runs/create", {"experiment_id": "{X}"}),
    ("POST", "/runs/search", {"experiment_ids": ["{E}", "{X}"]}),
    ("POST", "/experiments/search", {"filter": "attribute.experiment_id IN ('{E}', '{X}')"}),
    ("POST", "/logged-models", {"experiment_id": "{X}"}),
    ("POST", "/logged-models/search", {"experiment_ids": ["{X}"]}),
]

API_IDS_THAT_MATCH_NOTHING = [  # (method, path, body, list field, expected length)
    ("POST", "/runs/search", {"experiment_ids": [I64, BIG, HUGE]}, "runs", 0),
    ("POST", "/runs/search", {"experiment_ids": ["-1"]}, "runs", 0),
    ("POST", "/experiments/search", {"filter": "attribute.experiment_id = '-1'"}, "experiments", 0),
    ("POST", "/experiments/search", {"filter": f"attribute.experiment_id = '{I64}'"}, "experiments", 0),
    ("POST", "/experiments/search", {"filter": f"attribute.experiment_id IN ('{I64}', '{BIG}', '{{E}}')"},
     "experiments", 1),
    ("GET", "/model-versions/search", {"filter": f"version_number = {I64}"}, "model_versions", 0),
    ("GET", "/model-versions/search", {"filter": f"version_number < {I64}"}, "model_versions", 1),
]

ARTIFACT_PUTS = [f"ml_experiment_{I64}/1/f", f"ml_experiment_{BIG}/1/f",
                 "ml_experiment_{E}/" + I64 + "/f", "ml_experiment_{E}/" + BIG + "/f"]

# (method, page URL, status)
PAGES = [
    *[("GET", f"/experiments?page={page}", 200) for page in (BIG, str(2**62), "-5", "abc")],
    *[("GET", f"/experiments/{eid}", 404) for eid in (I64, BIG, "-1", "abc", "1.0")],
    *[("GET", f"/experiments/{eid}/runs/1", 404) for eid in (BIG, "-1", "abc")],
    ("GET", "/experiments/abc/compare?runs=1&runs=2", 404),
    ("GET", "/experiments/abc/runs.csv", 404),
    ("POST", "/experiments/abc/delete", 404),
    ("GET", "/experiments/{E}/runs/" + BIG, 404),
    ("GET", "/experiments/{E}/runs/" + I64, 404),
    ("GET", f"/experiments/{I64}/runs/1", 404),
    *[("GET", "/experiments/{E}/compare?runs=1&runs=" + iid, 404) for iid in (BIG, I64, "-1")],
    ("GET", "/experiments/abc/runs/1/images/x.png", 404),
    ("GET", f"/experiments/{BIG}/runs/1/images/x.png", 404),
    ("GET", "/experiments/{E}/runs/" + BIG + "/images/x.png", 404),
    ("GET", "/experiments/{E}/runs/1/images/x.png", 200),
    ("GET", f"/packages/ml_experiment_{BIG}", 404),
    ("GET", f"/packages/ml_experiment_{I64}", 404),
    ("GET", "/packages/ml_experiment_{E}/" + BIG, 404),
    ("GET", "/packages/ml_experiment_{E}/" + BIG + "/files/x.png", 404),
    *[("GET", f"/models/m/versions/{v}", 404) for v in (I64, BIG, "-1")],
    ("GET", "/models/m/versions/abc", 400),
    ("POST", f"/experiments/{I64}/delete", 404),
    ("POST", "/experiments/{E}/runs/" + BIG + "/delete", 404),
    ("POST", "/experiments/{E}/runs/" + I64 + "/restore", 404),
]


def _call(api, method: str, path: str, params: dict):
    if method == "GET":
        response = api.client.get(api.prefix + path, query_string=params)
    else:
        response = api.client.open(api.prefix + path, method=method, json=params)
    return response.status_code, response.get_json()


@pytest.mark.parametrize("method, path, params, status, code, mention", API_IDS,
                         ids=[f"{c[1]}:{str(c[2])[:60]}" for c in API_IDS])
def test_api_answers_mlflow_error_when_id_is_crafted(world, method, path, params, status, code, mention):
    api, ids = world
    assert_error(_call(api, method, path, fill(params, ids)), code, mention, status=status)


@pytest.mark.parametrize("experiment_id", NOT_INTEGER)
@pytest.mark.parametrize("method, path, params", EXPERIMENT_ID_ENDPOINTS,
                         ids=[c[1] for c in EXPERIMENT_ID_ENDPOINTS])
def test_api_rejects_experiment_id_when_it_is_not_an_integer(world, method, path, params, experiment_id):
    api, ids = world
    message = assert_error(_call(api, method, path, fill(params, {**ids, "X": experiment_id})), INVALID)
    assert message == f"Invalid experiment ID {experiment_id!r}: it must be an integer"


@pytest.mark.parametrize("method, path, params, field, count", API_IDS_THAT_MATCH_NOTHING,
                         ids=[f"{c[1]}:{str(c[2])[:60]}" for c in API_IDS_THAT_MATCH_NOTHING])
def test_search_matches_nothing_when_experiment_or_version_id_is_out_of_range(world, method, path, params,
                                                                              field, count):
    api, ids = world
    status, body = _call(api, method, path, fill(params, ids))
    assert status == 200, body
    assert len(body.get(field, [])) == count


@pytest.mark.parametrize("path", ARTIFACT_PUTS)
def test_artifact_upload_is_not_found_when_package_or_run_id_is_out_of_range(world, path):
    api, ids = world
    response = api.client.put("/api/2.0/mlflow-artifacts/artifacts/" + path.format(**ids), data=b"x")
    assert_error((response.status_code, response.get_json()), NOT_FOUND)


@pytest.mark.parametrize("method, url, status", PAGES, ids=[f"{c[0]} {c[1][:70]}" for c in PAGES])
def test_page_answers_without_server_error_when_number_in_url_is_crafted(world, method, url, status):
    api, ids = world
    if method == "GET":
        response = api.client.get(url.format(**ids))
    else:
        response = api.client.post(url.format(**ids), data={"csrf_token": ids["CSRF"]})
    assert response.status_code == status


@pytest.mark.parametrize("page", [BIG, str(2**62), "3"])
def test_experiments_list_shows_the_last_page_when_page_is_past_the_end(world, page):
    api, _ = world
    html = api.client.get(f"/experiments?page={page}").get_data(as_text=True)
    assert "Page 1 of 1 · 2 experiments" in html and "crafted" in html


PAGED = [
    ("POST", "/runs/search", {"experiment_ids": ["{E}"]}),
    ("POST", "/experiments/search", {}),
    ("GET", "/registered-models/search", {}),
    ("GET", "/model-versions/search", {}),
    ("POST", "/logged-models/search", {"experiment_ids": ["{E}"]}),
    ("GET", "/metrics/get-history", {"run_id": "{R}", "metric_key": "m"}),
]
FORGED = [{"offset": 2**62}, {"offset": 2**70}, {"after": [2**70, "x"], "query": "q"},
          {"after": [[[1]], "x"], "query": "q"}]


@pytest.mark.parametrize("content", FORGED, ids=["offset-2**62", "offset-2**70", "after-2**70", "after-nested"])
@pytest.mark.parametrize("method, path, params", PAGED, ids=[c[1] for c in PAGED])
def test_paged_search_refuses_token_when_forged(world, method, path, params, content):
    api, ids = world
    result = _call(api, method, path, {**fill(params, ids), "page_token": b64(content)})
    assert_error(result, INVALID, "Invalid page token")


def _next_token(api, ids, order_by: list) -> str:
    return api.ok_post("/runs/search", {"experiment_ids": [ids["E"]], "max_results": 1,
                                        "order_by": order_by})["next_page_token"]


# Sort values: start_time (int64) and run_id; with metrics.m, a rank (int32) and the value first.
ILL_TYPED = [
    ([], [2**70, "x"]), ([], [[[1]], "x"]), ([], [{"a": 1}, "x"]), ([], ["1", "x"]),
    ([], [1.5, "x"]), ([], [True, "x"]), ([], [1, 2]), ([], [1]), ([], [1, "x", 3]),
    (["metrics.m"], [2**40, 1.0, 1, "x"]), (["metrics.m"], [0, "1", 1, "x"]),
    (["metrics.m"], [0, 2**70, 1, "x"]),
]


@pytest.mark.parametrize("order_by, after", ILL_TYPED, ids=[f"{o}{a}" for o, a in ILL_TYPED])
def test_runs_search_refuses_signed_token_when_values_do_not_fit_the_sort_columns(world, order_by, after):
    api, ids = world
    token = resigned(api, _next_token(api, ids, order_by), after)
    result = api.post("/runs/search", {"experiment_ids": [ids["E"]], "order_by": order_by, "page_token": token})
    assert_error(result, INVALID, "Invalid page token")


@pytest.mark.parametrize("order_by, after, runs", [
    ([], [2**62, "0"], 2), ([], [-(2**63), "0"], 0), ([], [None, None], 0),
    (["metrics.m"], [0, 1e308, 2**62, ""], 1), (["metrics.m"], [0, float("nan"), 0, ""], 1),
])
def test_runs_search_resumes_when_signed_values_fit_the_sort_columns(world, order_by, after, runs):
    api, ids = world
    token = resigned(api, _next_token(api, ids, order_by), after)
    found = api.ok_post("/runs/search", {"experiment_ids": [ids["E"]], "order_by": order_by,
                                         "page_token": token})
    assert len(found.get("runs", [])) == runs


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(-(2**64), 2**64) | st.floats()
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=6,
)
ORDERS = [[], ["metrics.m"], ["params.p DESC"], ["attributes.end_time"], ["attributes.run_name"]]


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.sampled_from(range(len(ORDERS))), after=st.lists(JSON, min_size=1, max_size=6))
def test_runs_search_answers_200_or_400_when_a_signed_token_holds_any_json(world, order, after):
    api, ids = world
    token = resigned(api, _next_token(api, ids, ORDERS[order]), after)
    status, body = api.post("/runs/search", {"experiment_ids": [ids["E"]], "order_by": ORDERS[order],
                                             "page_token": token})
    assert status == 200 or (status, body["error_code"]) == (400, INVALID), body


@pytest.mark.parametrize("forge", [
    lambda api, ids: b64({"after": [2**70, "x"], "query": "q"}),
    lambda api, ids: b64({"after": [[[1]], "x"], "query": "q"}),
    lambda api, ids: resigned(api, _next_token(api, ids, []), [2**70, "x"]),
    lambda api, ids: resigned(api, _next_token(api, ids, []), [[[1]], "x"]),
], ids=["forged-2**70", "forged-nested", "signed-2**70", "signed-nested"])
def test_runs_table_shows_token_error_when_page_token_is_crafted(world, forge):
    api, ids = world
    response = api.client.get(f"/experiments/{ids['E']}", query_string={"page_token": forge(api, ids)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'role="alert">Invalid page token' in html and "⇤ First page" in html
    assert f'href="/experiments/{ids["E"]}/runs/1"' not in html
