"""The wire contract every route shares: prefixes, error JSON, parsing, tolerance, null omission."""
import pytest

from tests.api.helpers import INVALID, NO_ENDPOINT, NOT_FOUND, assert_error, make_api, tags_of
from tests.conftest import Api
from tests.routes import routes

AJAX_PREFIX = "/ajax-api/2.0/mlflow"

# Every tracking route and the method it answers (search answers GET too).
TRACKING_ROUTES = {
    ("POST", "/experiments/create"), ("GET", "/experiments/get"),
    ("GET", "/experiments/get-by-name"), ("POST", "/experiments/search"),
    ("GET", "/experiments/search"), ("POST", "/experiments/update"),
    ("POST", "/experiments/delete"), ("POST", "/experiments/restore"),
    ("POST", "/experiments/set-experiment-tag"), ("POST", "/experiments/delete-experiment-tag"),
    ("POST", "/runs/create"), ("GET", "/runs/get"), ("POST", "/runs/update"),
    ("POST", "/runs/delete"), ("POST", "/runs/restore"), ("POST", "/runs/log-metric"),
    ("POST", "/runs/log-parameter"), ("POST", "/runs/set-tag"), ("POST", "/runs/delete-tag"),
    ("POST", "/runs/log-batch"), ("POST", "/runs/search"), ("GET", "/runs/search"),
    ("GET", "/metrics/get-history"),
}
POST_ROUTES = sorted(path for method, path in TRACKING_ROUTES if method == "POST")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """For requests that must fail: experiment "exp" with one run. Returns (api, ids)."""
    api = make_api(tmp_path_factory, "wire")
    experiment_id = api.create_experiment("exp")
    run_id = api.create_run(experiment_id, run_name="r")["info"]["run_id"]
    return api, {"experiment_id": experiment_id, "run_id": run_id}


def fill(body, ids):
    """Substitute the seeded ids for the placeholders EXP and RUN."""
    if isinstance(body, dict):
        return {k: fill(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [fill(v, ids) for v in body]
    return {"EXP": ids["experiment_id"], "RUN": ids["run_id"]}.get(body, body) \
        if isinstance(body, str) else body


def find_nulls(value, path="$"):
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in find_nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in find_nulls(v, f"{path}[{i}]")]
    return []


# --- health, unknown paths, prefixes --------------------------------------------------------

def test_health_answers_ok_when_server_is_up(seeded):
    response = seeded[0].client.get("/health")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "OK"


def test_version_answers_the_mlflow_release_whose_api_is_served_as_text(seeded):
    response = seeded[0].client.get("/version")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert tuple(int(part) for part in response.get_data(as_text=True).split(".")) >= (3, 4, 0)


@pytest.mark.parametrize("prefix", ["/api/3.0/mlflow", "/ajax-api/3.0/mlflow"])
def test_server_info_answers_mlflow_keys_when_a_client_probes_the_setup(seeded, prefix):
    info = seeded[0].client.get(f"{prefix}/server-info").get_json()
    assert info["store_type"] == "SqlStore" and info["workspaces_enabled"] is False
    assert info["multipart_uploads_enabled"] is False and info["features_enabled"] == {"gateway": False}


@pytest.mark.parametrize("prefix", ["/api/2.0/mlflow", AJAX_PREFIX])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_api_path_is_endpoint_not_found_when_no_route_matches(seeded, prefix, method):
    response = seeded[0].client.open(f"{prefix}/runs/teleport", method=method, json={})
    assert_error((response.status_code, response.get_json()), NO_ENDPOINT, "/runs/teleport")


def test_wrong_method_is_refused_as_json_when_route_exists(seeded):
    response = seeded[0].client.get("/api/2.0/mlflow/runs/create")
    assert response.status_code == 405
    assert response.get_json()["error_code"] == NO_ENDPOINT


def test_every_api_route_has_ajax_twin_when_app_is_built(app):
    rules = {}
    for route in routes(app):
        rules.setdefault(route.rule, set()).update(route.methods)
    api_rules = {path: methods for path, methods in rules.items() if path.startswith("/api/2.0/")}
    assert {("/api/2.0/mlflow" + path) for _, path in TRACKING_ROUTES} <= set(api_rules)
    for path, methods in api_rules.items():
        twin = "/ajax-api/2.0/" + path[len("/api/2.0/"):]
        assert rules.get(twin) == methods, path


def test_every_tracking_route_works_when_called_under_ajax_prefix(client):
    """One pass over every tracking route through /ajax-api/2.0/mlflow, checking what each did."""
    called = set()

    class Recording(Api):
        def post(self, path, body=None, **kwargs):
            called.add(("POST", path))
            return super().post(path, body, **kwargs)

        def get(self, path, params=None):
            called.add(("GET", path))
            return super().get(path, params)

    ajax = Recording(client, prefix=AJAX_PREFIX)
    eid = ajax.create_experiment("ajax", tags=[{"key": "a", "value": "1"}])
    assert ajax.ok_get("/experiments/get", {"experiment_id": eid})["experiment"]["name"] == "ajax"
    ajax.ok_post("/experiments/update", {"experiment_id": eid, "new_name": "ajax2"})
    found = ajax.ok_get("/experiments/get-by-name", {"experiment_name": "ajax2"})["experiment"]
    assert found["experiment_id"] == eid
    ajax.ok_post("/experiments/set-experiment-tag", {"experiment_id": eid, "key": "b", "value": "2"})
    ajax.ok_post("/experiments/delete-experiment-tag", {"experiment_id": eid, "key": "a"})
    searched = ajax.ok_post("/experiments/search", {"filter": "name = 'ajax2'"})["experiments"]
    assert [(e["experiment_id"], tags_of(e)) for e in searched] == [(eid, {"b": "2"})]
    assert [e["name"] for e in ajax.ok_get("/experiments/search", {"filter": "tags.b = '2'"})[
        "experiments"]] == ["ajax2"]

    rid = ajax.create_run(eid, run_name="r")["info"]["run_id"]
    ajax.ok_post("/runs/log-metric", {"run_id": rid, "key": "m", "value": 2, "timestamp": 5})
    ajax.ok_post("/runs/log-parameter", {"run_id": rid, "key": "p", "value": "v"})
    ajax.ok_post("/runs/set-tag", {"run_id": rid, "key": "t", "value": "v"})
    ajax.ok_post("/runs/delete-tag", {"run_id": rid, "key": "t"})
    ajax.ok_post("/runs/log-batch", {"run_id": rid, "tags": [{"key": "u", "value": "w"}]})
    assert ajax.ok_post("/runs/update", {"run_id": rid, "status": "FINISHED"})["run_info"][
        "status"] == "FINISHED"
    run = ajax.ok_get("/runs/get", {"run_id": rid})["run"]
    assert tags_of(run) == {"mlflow.runName": "r", "u": "w"}
    assert run["data"]["params"] == [{"key": "p", "value": "v"}]
    history = ajax.ok_get("/metrics/get-history", {"run_id": rid, "metric_key": "m"})["metrics"]
    assert history == [{"key": "m", "value": 2.0, "timestamp": 5, "step": 0}]
    assert [r["info"]["run_id"] for r in ajax.ok_post(
        "/runs/search", {"experiment_ids": [eid], "filter": "params.p = 'v'"})["runs"]] == [rid]
    assert [r["info"]["run_id"] for r in ajax.ok_get(
        "/runs/search", {"experiment_ids": [eid]})["runs"]] == [rid]
    ajax.ok_post("/runs/delete", {"run_id": rid})
    ajax.ok_post("/runs/restore", {"run_id": rid})
    ajax.ok_post("/experiments/delete", {"experiment_id": eid})
    ajax.ok_post("/experiments/restore", {"experiment_id": eid})
    final = ajax.ok_get("/runs/get", {"run_id": rid})["run"]["info"]
    assert final["lifecycle_stage"] == "active"
    assert called == TRACKING_ROUTES


# --- parsing: malformed bodies, wrong types, missing fields ---------------------------------

@pytest.mark.parametrize("path", POST_ROUTES)
def test_malformed_json_is_invalid_parameter_when_posted_to_any_route(seeded, path):
    api, _ = seeded
    response = api.client.post(api.prefix + path, data='{"name": "x",',
                               content_type="application/json")
    assert_error((response.status_code, response.get_json()), INVALID, "JSON")


@pytest.mark.parametrize("raw", ["[]", '"text"', "42", "null", "true", '[{"name": "x"}]'])
def test_json_that_is_not_an_object_is_invalid_parameter_when_posted(seeded, raw):
    api, _ = seeded
    response = api.client.post(api.prefix + "/experiments/create", data=raw,
                               content_type="application/json")
    assert_error((response.status_code, response.get_json()), INVALID, "object")


def test_body_that_is_not_utf8_is_invalid_parameter_when_posted(seeded):
    api, _ = seeded
    response = api.client.post(api.prefix + "/experiments/create", data=b'{"name": "\xff\xfe"}',
                               content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error_code"] == INVALID


@pytest.mark.parametrize("path, body, parameter", [
    ("/experiments/create", {"name": ["a"]}, "'name'"),
    ("/experiments/create", {"name": "x", "tags": [{"key": 1, "value": "v"}]}, "'tags.0.key'"),
    ("/experiments/search", {"max_results": "ten"}, "'max_results'"),
    ("/experiments/search", {"filter": 5}, "'filter'"),
    ("/experiments/search", {"order_by": [1]}, "'order_by.0'"),
    ("/experiments/update", {"experiment_id": 1, "new_name": "x"}, "'experiment_id'"),
    ("/experiments/delete", {"experiment_id": {"id": "1"}}, "'experiment_id'"),
    ("/experiments/set-experiment-tag", {"experiment_id": "EXP", "key": "k", "value": 5}, "'value'"),
    ("/runs/create", {"experiment_id": "EXP", "start_time": "soon"}, "'start_time'"),
    ("/runs/create", {"experiment_id": "EXP", "user_id": 5}, "'user_id'"),
    ("/runs/create", {"experiment_id": "EXP", "tags": {"a": "b"}}, "'tags'"),
    ("/runs/update", {"run_id": "RUN", "end_time": "later"}, "'end_time'"),
    ("/runs/update", {"run_id": "RUN", "status": True}, "'status'"),
    ("/runs/delete", {"run_id": 5}, "'run_id'"),
    ("/runs/log-metric", {"run_id": "RUN", "key": "m", "value": True, "timestamp": 1}, "'value'"),
    ("/runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1, "timestamp": "abc"}, "'timestamp'"),
    ("/runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1, "timestamp": False}, "'timestamp'"),
    ("/runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1, "timestamp": 1, "step": 1.5},
     "'step'"),
    ("/runs/log-metric", {"run_id": "RUN", "key": 7, "value": 1, "timestamp": 1}, "'key'"),
    ("/runs/log-parameter", {"run_id": "RUN", "key": "p", "value": 1}, "'value'"),
    ("/runs/set-tag", {"run_id": "RUN", "key": 1, "value": "v"}, "'key'"),
    ("/runs/log-batch", {"run_id": "RUN", "metrics": {"m": 1}}, "'metrics'"),
    ("/runs/log-batch", {"run_id": "RUN", "metrics": [{"key": "m", "value": "x", "timestamp": 1}]},
     "'metrics.0.value'"),
    ("/runs/log-batch", {"run_id": "RUN", "params": [["k", "v"]]}, "'params.0"),
    ("/runs/search", {"experiment_ids": [1]}, "'experiment_ids.0'"),
    ("/runs/search", {"experiment_ids": ["EXP"], "max_results": True}, "'max_results'"),
    ("/runs/search", {"experiment_ids": ["EXP"], "run_view_type": "SOME"}, "'run_view_type'"),
])
def test_wrong_type_is_invalid_parameter_naming_it_when_posted(seeded, path, body, parameter):
    api, ids = seeded
    assert_error(api.post(path, fill(body, ids)), INVALID, parameter)


@pytest.mark.parametrize("method, path, body, parameter", [
    ("POST", "/experiments/create", {}, "'name'"),
    ("GET", "/experiments/get", {}, "'experiment_id'"),
    ("GET", "/experiments/get-by-name", {}, "'experiment_name'"),
    ("POST", "/experiments/update", {"new_name": "x"}, "'experiment_id'"),
    ("POST", "/experiments/update", {"experiment_id": "EXP"}, "'new_name'"),
    ("POST", "/experiments/delete", {}, "'experiment_id'"),
    ("POST", "/experiments/restore", {}, "'experiment_id'"),
    ("POST", "/experiments/set-experiment-tag", {"experiment_id": "EXP", "value": "v"}, "'key'"),
    ("POST", "/experiments/delete-experiment-tag", {"experiment_id": "EXP"}, "'key'"),
    ("GET", "/runs/get", {}, "'run_id'"),
    ("POST", "/runs/update", {"status": "FINISHED"}, "'run_id'"),
    ("POST", "/runs/delete", {}, "'run_id'"),
    ("POST", "/runs/restore", {}, "'run_id'"),
    ("POST", "/runs/log-metric", {"run_id": "RUN", "value": 1, "timestamp": 1}, "'key'"),
    ("POST", "/runs/log-metric", {"run_id": "RUN", "key": "m", "timestamp": 1}, "'value'"),
    ("POST", "/runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1}, "'timestamp'"),
    ("POST", "/runs/log-parameter", {"run_id": "RUN", "value": "v"}, "'key'"),
    ("POST", "/runs/set-tag", {"run_id": "RUN", "value": "v"}, "'key'"),
    ("POST", "/runs/delete-tag", {"run_id": "RUN"}, "'key'"),
    ("POST", "/runs/log-batch", {"metrics": []}, "'run_id'"),
    ("GET", "/metrics/get-history", {"run_id": "RUN"}, "'metric_key'"),
    ("GET", "/metrics/get-history", {"metric_key": "m"}, "'run_id'"),
    ("POST", "/logged-models/search", {}, "'experiment_ids'"),
    ("POST", "/logged-models/search", {"experiment_ids": [], "filter": "))(("}, "'experiment_ids'"),
    ("POST", "/model-versions/create", {"name": "m", "source": ""}, "'source'"),
])
def test_missing_required_field_is_invalid_parameter_naming_it(seeded, method, path, body, parameter):
    api, ids = seeded
    result = api.post(path, fill(body, ids)) if method == "POST" else api.get(path, fill(body, ids))
    assert_error(result, INVALID, parameter)


@pytest.mark.parametrize("path", POST_ROUTES)
def test_garbage_never_causes_server_error_when_posted_to_any_route(seeded, path):
    api, ids = seeded
    bodies = [[], "text", 3.5, {"run_id": 5}, {"run_id": ["RUN"]}, {"experiment_id": []},
              {"experiment_id": {"$gt": ""}}, {"run_id": "RUN", "metrics": [None]},
              {"run_id": "RUN", "tags": [{"key": None}]}, {"name": None, "tags": None},
              {"run_id": "RUN", "key": "k" * 10_000, "value": "v" * 100_000},
              {"experiment_ids": "EXP", "filter": "))((", "order_by": ["`"]}]
    failures = []
    for body in bodies:
        response = api.client.post(api.prefix + path, json=fill(body, ids))
        data = response.get_json()
        if response.status_code >= 500 or not isinstance(data, dict):
            failures.append((body, response.status_code, data))
        elif response.status_code != 200 and set(data) != {"error_code", "message"}:
            failures.append((body, response.status_code, data))
    assert failures == []


BIG_ID = "9" * 20  # a decimal id beyond SQLite's int64


@pytest.mark.parametrize("method, path, body", [
    ("GET", "/experiments/get", {"experiment_id": BIG_ID}),
    ("POST", "/experiments/update", {"experiment_id": BIG_ID, "new_name": "x"}),
    ("POST", "/experiments/delete", {"experiment_id": BIG_ID}),
    ("POST", "/experiments/restore", {"experiment_id": BIG_ID}),
    ("POST", "/experiments/set-experiment-tag", {"experiment_id": BIG_ID, "key": "k", "value": "v"}),
    ("POST", "/experiments/delete-experiment-tag", {"experiment_id": BIG_ID, "key": "k"}),
    ("POST", "/runs/create", {"experiment_id": BIG_ID}),
], ids=["get", "update", "delete", "restore", "set-tag", "delete-tag", "create-run"])
def test_experiment_id_beyond_int64_is_not_found_when_used(seeded, method, path, body):
    api, _ = seeded
    result = api.get(path, body) if method == "GET" else api.post(path, body)
    assert_error(result, NOT_FOUND, BIG_ID)


def test_search_runs_finds_nothing_when_experiment_id_is_beyond_int64(seeded):
    api, _ = seeded
    assert api.ok_post("/runs/search", {"experiment_ids": [BIG_ID]}).get("runs", []) == []


# --- tolerance and response shape ----------------------------------------------------------

def test_unknown_fields_are_ignored_when_sent_to_write_routes(api, get_run):
    extra = {"client_version": "9.9", "nested": {"x": [1]}}
    eid = api.ok_post("/experiments/create", {"name": "tolerant", **extra})["experiment_id"]
    run = api.ok_post("/runs/create", {"experiment_id": eid, "run_name": "r", **extra})["run"]
    rid = run["info"]["run_id"]
    api.ok_post("/runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1,
                                     "dataset_name": "ignored", **extra})
    api.ok_post("/runs/log-batch", {"run_id": rid, "params": [{"key": "p", "value": "1", "x": 2}],
                                    "datasets": [], **extra})
    fetched = get_run(rid)
    assert fetched["info"]["experiment_id"] == eid
    assert fetched["data"]["params"] == [{"key": "p", "value": "1"}]
    assert [m["key"] for m in fetched["data"]["metrics"]] == ["m"]


def test_responses_carry_no_nulls_when_optional_fields_are_unset(api):
    eid = api.create_experiment("shape")
    rid = api.create_run(eid)["info"]["run_id"]
    responses = [
        api.ok_post("/runs/create", {"experiment_id": eid}),
        api.ok_get("/runs/get", {"run_id": rid}),
        api.ok_post("/runs/update", {"run_id": rid, "run_name": "named"}),
        api.ok_get("/experiments/get", {"experiment_id": eid}),
        api.ok_post("/experiments/search", {"max_results": 1}),
        api.ok_post("/runs/search", {"experiment_ids": [eid], "max_results": 1}),
        api.ok_get("/metrics/get-history", {"run_id": rid, "metric_key": "none"}),
    ]
    assert [find_nulls(r) for r in responses] == [[]] * len(responses)
    run_info = responses[1]["run"]["info"]
    assert "end_time" not in run_info
    assert "next_page_token" not in responses[-1]


def test_write_routes_answer_empty_object_when_they_succeed(api, run_id):
    assert api.ok_post("/runs/set-tag", {"run_id": run_id, "key": "k", "value": "v"}) == {}
    assert api.ok_post("/runs/delete-tag", {"run_id": run_id, "key": "k"}) == {}
    assert api.ok_post("/runs/log-batch", {"run_id": run_id}) == {}


def test_errors_are_json_when_a_request_fails(seeded):
    response = seeded[0].client.get("/api/2.0/mlflow/runs/get", query_string={"run_id": "missing"})
    assert response.status_code == 404
    assert response.mimetype == "application/json"


# --- known gaps ------------------------------------------------------------------------------

def test_camel_case_field_names_are_understood_when_client_sends_json_names(api):
    eid = api.create_experiment("camel")
    info = api.ok_post("/runs/create", {"experimentId": eid, "runName": "camel-run",
                                        "startTime": 1234})["run"]["info"]
    assert (info["experiment_id"], info["run_name"], info["start_time"]) == (eid, "camel-run", 1234)


@pytest.mark.parametrize("path, body", [
    ("/runs/create", {"experiment_id": "EXP", "tags": None}),
    ("/runs/log-metric", {"run_id": "RUN", "key": "m", "value": 1, "timestamp": 1, "step": None}),
    ("/runs/set-tag", {"run_id": "RUN", "key": "k", "value": None}),
], ids=["runs-create-tags", "log-metric-step", "set-tag-value"])
def test_null_is_treated_as_unset_when_client_sends_null(api, run, path, body):
    ids = {"experiment_id": run["info"]["experiment_id"], "run_id": run["info"]["run_id"]}
    api.ok_post(path, fill(body, ids))


def test_error_message_is_well_punctuated_when_a_type_is_wrong(seeded):
    api, _ = seeded
    message = assert_error(api.post("/experiments/create", {"name": 42}), INVALID, "'name'")
    assert ".." not in message


# --- found by the fuzzer (tests/fuzz): each of these used to answer 500 ------------------------

def test_deeply_nested_json_is_invalid_parameter_when_posted(seeded):
    api, _ = seeded
    for raw in ("[" * 100_000, '{"a":' * 100_000):
        result = api.post("/experiments/create", data=raw, content_type="application/json")
        assert_error(result, INVALID, "nested too deeply")


@pytest.mark.parametrize("raw", [b'{"name": "x\\ud800"}', b'{"name": "\\udfff\\ud83d"}',
                                 b'{"name": "x\xed\xa0\x80"}'])
def test_lone_surrogate_is_invalid_parameter_when_posted(seeded, raw):
    """A \\ud800 escape (or its bytes) loads into Python but cannot be stored as UTF-8."""
    api, _ = seeded
    result = api.post("/experiments/create", data=raw, content_type="application/json")
    assert_error(result, INVALID, "Malformed JSON request body")


def test_surrogate_pair_escape_is_one_character_when_posted(api):
    status, body = api.post("/experiments/create", data=b'{"name": "smile \\ud83d\\ude00"}',
                            content_type="application/json")
    assert status == 200, body
    assert api.ok_get("/experiments/get", {"experiment_id": body["experiment_id"]})[
        "experiment"]["name"] == "smile \U0001F600"


def test_head_reads_the_query_string_when_a_get_route_is_asked_with_head(seeded):
    api, ids = seeded
    response = api.client.head("/api/2.0/mlflow/experiments/get",
                               query_string={"experiment_id": ids["experiment_id"]})
    assert response.status_code == 200


@pytest.mark.parametrize("body", [
    {"tags": [{"key": "note", "value": "a\u0000b"}]},
    {"params": [{"key": "p\u0000", "value": "1"}]},
    {"metrics": [{"key": "m\u0000", "value": 1.0, "timestamp": 1, "step": 0}]},
], ids=["tag-value", "param-key", "metric-key"])
def test_nul_character_is_invalid_parameter_and_stores_nothing_when_logged(api, run_id, get_run, body):
    """PostgreSQL text cannot hold U+0000, so every backend refuses it the same way."""
    result = api.post("/runs/log-batch", {"run_id": run_id, **body})

    assert_error(result, INVALID, "NUL character")
    data = get_run(run_id)["data"]
    assert data.get("params", []) == [] and data.get("metrics", []) == []
    assert [t["key"] for t in data["tags"]] == ["mlflow.runName"]


def test_nul_character_in_a_query_parameter_is_invalid_parameter_when_read(seeded):
    api, _ = seeded
    result = api.get("/experiments/get-by-name", {"experiment_name": "x\u0000y"})

    assert_error(result, INVALID, "experiment_name", "NUL character")
