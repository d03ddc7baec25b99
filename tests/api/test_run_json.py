"""Run JSON has one serializer (services/run_json.py): get-run, create-run, update-run and search
pages give the same bytes for a run, on SQLite and PostgreSQL, for every value and run shape."""
import math

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlexp.extensions import db
from mlexp.services import run_json

KEY = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters="_-. /"),
              min_size=1, max_size=20).filter(lambda k: k.strip(" ./") == k and ".." not in k and "//" not in k)
VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=40)  # no lone surrogates, no NUL: both refused
DOUBLE = st.floats(allow_nan=True, allow_infinity=True, width=64)
PREFIX = "/api/2.0/mlflow"


def wire_double(value: float):
    if math.isnan(value):
        return "NaN"
    return value if math.isfinite(value) else ("Infinity" if value > 0 else "-Infinity")


def run_bytes(client, run_id: str) -> bytes:
    """The run's JSON as get-run answers it, checked to be the bytes a search page answers too."""
    got = client.get(PREFIX + "/runs/get", query_string={"run_id": run_id}).data
    assert got.startswith(b'{"run":') and got.endswith(b"}\n"), got
    experiment_id = orjson.loads(got)["run"]["info"]["experiment_id"]
    page = client.post(PREFIX + "/runs/search", json={
        "experiment_ids": [experiment_id], "filter": f"attributes.run_id = '{run_id}'"}).data
    run = got[len(b'{"run":'):-2]
    assert page == b'{"runs":[' + run + b"]}\n"
    return run


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(KEY, VALUE, max_size=4), tags=st.dictionaries(KEY, VALUE, max_size=4),
       metrics=st.dictionaries(KEY, DOUBLE, max_size=4), finished=st.booleans())
def test_search_and_get_give_the_same_bytes_when_runs_hold_any_values(client, api, params, tags, metrics,
                                                                       finished):
    run_id = api.create_run("0")["info"]["run_id"]
    api.ok_post("/runs/log-batch", {
        "run_id": run_id, "params": [{"key": k, "value": v} for k, v in params.items()],
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
        "metrics": [{"key": k, "value": wire_double(v), "timestamp": 5, "step": 1} for k, v in metrics.items()]})
    if finished:
        api.ok_post("/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 99})
    body = run_bytes(client, run_id)
    for key, value in [*params.items(), *tags.items()]:  # escaped as orjson escapes, on every database
        assert orjson.dumps({"key": key, "value": value}) in body
    for key, value in metrics.items():  # doubles spelled as Python's repr, which round-trips each one
        spelled = repr(value).encode() if math.isfinite(value) else orjson.dumps(wire_double(value))
        assert orjson.dumps({"key": key})[:-1] + b',"value":' + spelled + b',"timestamp":5,"step":1}' in body
    run = orjson.loads(body)
    assert [p["key"] for p in run["data"]["params"]] == sorted(params)
    assert ("end_time" in run["info"]) == finished


def test_doubles_are_spelled_as_python_writes_them_when_rendered(client, api, experiment_id):
    values = {"a": 1e-05, "b": -2.5e-05, "c": 1e+16, "d": -0.0, "e": 5e-324, "f": 1.7976931348623157e+308,
              "g": 0.1 + 0.2, "h": 3.0, "i": "NaN", "j": "-Infinity"}
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": k, "value": v, "timestamp": 1, "step": 0} for k, v in values.items()]})
    body = run_bytes(client, run_id)
    for spelled in (b"1e-05", b"-2.5e-05", b"1e+16", b"-0.0", b"5e-324", b"1.7976931348623157e+308",
                    b"0.30000000000000004", b"3.0", b'"NaN"', b'"-Infinity"'):
        assert b'"value":' + spelled + b"," in body, spelled


def test_value_is_the_databases_double_when_a_metric_predates_value_json(app, client, api, experiment_id):
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "m", "value": 0.1, "timestamp": 1, "step": 0}, {"key": "z", "value": -0.0, "timestamp": 1}]})
    with app.app_context():
        db.session.execute(db.text("UPDATE latest_metrics SET value_json = NULL"))
        db.session.commit()
    metrics = orjson.loads(run_bytes(client, run_id))["data"]["metrics"]
    assert [(m["key"], m["value"]) for m in metrics] == [("m", 0.1), ("z", 0.0)]


def test_end_time_follows_start_time_when_the_run_has_ended(client, api, experiment_id):
    run_id = api.create_run(experiment_id, start_time=10)["info"]["run_id"]
    api.ok_post("/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 20})
    assert b'"start_time":10,"end_time":20,"artifact_uri":' in run_bytes(client, run_id)
    updated = client.post(PREFIX + "/runs/update", json={"run_id": run_id, "status": "KILLED"}).data
    assert updated == b'{"run_info":' + orjson.dumps(orjson.loads(run_bytes(client, run_id))["info"]) + b"}\n"


def test_create_run_answers_the_bytes_get_run_answers_when_tags_are_given(client, api, experiment_id):
    created = client.post(PREFIX + "/runs/create", json={
        "experiment_id": experiment_id, "run_name": "r", "start_time": 3, "user_id": "u",
        "tags": [{"key": "z", "value": "ü\n\"\\\x01"}, {"key": "a", "value": ""}]}).data
    run_id = orjson.loads(created)["run"]["info"]["run_id"]
    assert created == b'{"run":' + run_bytes(client, run_id) + b"}\n"
    assert b'"tags":[{"key":"a","value":""},{"key":"mlflow.runName","value":"r"},' \
           b'{"key":"z","value":"\xc3\xbc\\n\\"\\\\\\u0001"}]' in created


def test_inputs_and_outputs_are_rendered_alike_when_a_run_has_datasets_and_models(client, api, experiment_id):
    model_ids = [api.ok_post("/logged-models", {"experiment_id": experiment_id, "name": name})
                 ["model"]["info"]["model_id"] for name in ("m1", "m2")]
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    plain_id = api.create_run(experiment_id)["info"]["run_id"]
    api.ok_post("/runs/log-inputs", {"run_id": run_id, "models": [{"model_id": model_ids[0]}], "datasets": [
        {"tags": [{"key": "t", "value": "v"}], "dataset": {
            "name": "d", "digest": "abc", "source_type": "local", "source": "{}", "schema": "{}", "profile": "p"}},
        {"dataset": {"name": "e", "digest": "def", "source_type": "local", "source": "{}"}}]})
    api.ok_post("/runs/outputs", {"run_id": run_id, "models": [{"model_id": model_ids[1], "step": 2}]})
    assert run_bytes(client, run_id).endswith(
        b'"inputs":{"dataset_inputs":[{"tags":[{"key":"t","value":"v"}],"dataset":{"name":"d","digest":"abc",'
        b'"source_type":"local","source":"{}","schema":"{}","profile":"p"}},{"tags":[],"dataset":{"name":"e",'
        b'"digest":"def","source_type":"local","source":"{}"}}],"model_inputs":[{"model_id":"%s"}]},'
        b'"outputs":{"model_outputs":[{"model_id":"%s","step":2}]}}' % tuple(m.encode() for m in model_ids))
    assert run_bytes(client, plain_id).endswith(b'"inputs":{},"outputs":{}}')


@pytest.mark.parametrize("max_results", [1, 3])
def test_page_lists_runs_in_search_order_when_sorted_by_a_metric(api, experiment_id, max_results):
    for number in (2, 0, 1):
        run_id = api.create_run(experiment_id, run_name=f"r{number}")["info"]["run_id"]
        api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
            {"key": "m", "value": number, "timestamp": 1, "step": 0}]})
    runs = api.ok_post("/runs/search", {"experiment_ids": [experiment_id], "max_results": max_results,
                                        "order_by": ["metrics.m DESC"]})["runs"]
    assert [r["info"]["run_name"] for r in runs] == ["r2", "r1", "r0"][:max_results]


def test_page_leaves_a_run_out_when_it_was_removed_after_its_id_was_read(app, client, api, experiment_id):
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    with app.app_context():
        pk = db.session.scalar(db.text("SELECT id FROM runs WHERE uuid = :uuid"), {"uuid": run_id})
        assert run_json.runs_json([pk + 1000, pk]) == run_bytes(client, run_id)
