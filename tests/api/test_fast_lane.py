"""The logging fast lane answers exactly as Flask does, and only where it may.

Each request goes once through the app as served (the gate, then the lane) and once through the
gate straight to Flask; status line, headers and body must match byte for byte. The requests are
idempotent, or errors that change nothing, so the order does not matter. Requests the gate refuses
never reach the lane: Flask answers them.
"""
import json
import logging

import pytest
from werkzeug.test import Client

from mlexp.api import fast_lane
from mlexp.http.gate import GateMiddleware
from mlexp.services import run_data
from tests.api.helpers import INVALID, NOT_FOUND, assert_error, now_ms
from tests.api.test_access import add_token, basic, bearer, revoke
from tests.conftest import Api
from tests.databases import make_app

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"


class Lanes:
    """Send a request through the lane and straight to Flask; count Flask's calls."""

    def __init__(self, app):
        self.app = app
        gate = app.wsgi_app
        assert isinstance(gate, GateMiddleware) and isinstance(gate.admitted_app, fast_lane.LoggingFastLane)
        behind = gate.flask_wsgi_app
        self.flask_calls = 0

        def counting_flask(environ, start_response):
            self.flask_calls += 1
            return behind(environ, start_response)

        gate.admitted_app.flask_wsgi_app = gate.flask_wsgi_app = counting_flask
        self.served = Client(app)  # app.__call__ → the gate → the lane → Flask when it passes on
        self.flask_only = Client(GateMiddleware(gate.gate, behind, behind))

    def both(self, path: str, body=None, *, raw: bytes | None = None, headers=None):
        """(lane answer, Flask answer, whether the lane passed on) for one request."""
        data = raw if raw is not None else json.dumps(body).encode()
        kwargs = {"data": data, "headers": {"Content-Type": "application/json", **(headers or {})}}
        before = self.flask_calls
        served = self.served.post(path, **kwargs)
        passed_on = self.flask_calls > before
        flask = self.flask_only.post(path, **kwargs)
        return served, flask, passed_on

    def same(self, path: str, body=None, **kwargs):
        served, flask, passed_on = self.both(path, body, **kwargs)
        assert served.status == flask.status
        assert list(served.headers) == list(flask.headers)
        assert served.get_data() == flask.get_data()
        return served.status_code, json.loads(served.get_data()), passed_on


@pytest.fixture
def lanes(app):
    return Lanes(app)


def metric_body(run_id, **overrides):
    return {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": now_ms(), "step": 3, **overrides}


def batch_body(run_id, **overrides):
    return {"run_id": run_id, "metrics": [{"key": "acc", "value": 0.9, "timestamp": now_ms(), "step": 1}],
            "params": [{"key": "lr", "value": "0.01"}], "tags": [{"key": "team", "value": "vision"}],
            **overrides}


@pytest.mark.parametrize("prefix", [API, AJAX])
def test_lane_answers_log_metric_and_log_batch_as_flask_does_when_the_call_succeeds(
        lanes, api, run_id, get_run, prefix):
    status, body, passed_on = lanes.same(prefix + "/runs/log-metric", metric_body(run_id))
    assert (status, body, passed_on) == (200, {}, False)
    status, body, passed_on = lanes.same(prefix + "/runs/log-batch", batch_body(run_id))
    assert (status, body, passed_on) == (200, {}, False)
    data = get_run(run_id)["data"]
    assert [(m["key"], m["value"], m["step"]) for m in data["metrics"]] == [("acc", 0.9, 1), ("loss", 0.5, 3)]
    assert data["params"] == [{"key": "lr", "value": "0.01"}]
    history = api.ok_get("/metrics/get-history", {"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert len(history) == 1  # the same point twice is stored once, as MLflow does


def test_lane_keeps_nan_and_infinities_when_the_client_sends_them(lanes, api, run_id):
    for value in ("NaN", "Infinity", "-Infinity"):
        raw = json.dumps(metric_body(run_id, key=f"k{value}")).replace("0.5", value).encode()
        assert lanes.same(API + "/runs/log-metric", raw=raw)[::2] == (200, False)
    metrics = {m["key"]: m["value"] for m in api.ok_get("/runs/get", {"run_id": run_id})["run"]["data"]["metrics"]}
    assert (metrics["kNaN"], metrics["kInfinity"], metrics["k-Infinity"]) == ("NaN", "Infinity", "-Infinity")


def test_lane_answers_domain_errors_as_flask_does_when_the_run_cannot_take_the_call(lanes, api, run_id):
    status, body, passed_on = lanes.same(API + "/runs/log-metric", metric_body("0" * 32))
    assert_error((status, body), NOT_FOUND, "0" * 32)
    assert not passed_on
    api.ok_post("/runs/log-batch", {"run_id": run_id, "params": [{"key": "lr", "value": "1"}]})
    status, body, passed_on = lanes.same(API + "/runs/log-batch", batch_body(run_id, metrics=[]))
    assert_error((status, body), INVALID, "Changing param values is not allowed")
    assert not passed_on
    status, body, _ = lanes.same(API + "/runs/log-metric", metric_body(run_id, key="a" * 251))
    assert_error((status, body), INVALID)
    api.ok_post("/runs/delete", {"run_id": run_id})
    status, body, passed_on = lanes.same(API + "/runs/log-metric", metric_body(run_id))
    assert_error((status, body), INVALID, "deleted")
    assert not passed_on


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "malformed JSON"),
    (b"[1, 2]", "not an object"),
    (b"", "an empty body"),
    (json.dumps({"run_id": "x", "key": "loss", "value": "high", "timestamp": 1}).encode(), "a string value"),
    (json.dumps({"run_uuid": "x", "key": "loss", "value": 1, "timestamp": "17"}).encode(), "run_uuid alone"),
    (json.dumps({"run_id": "x", "key": "loss", "value": 1, "timestamp": 1, "extra": 1}).encode(), "an extra field"),
])
def test_lane_passes_on_to_flask_when_its_reader_does_not_take_the_body(lanes, run_id, raw, reason):
    raw = raw.replace(b'"x"', json.dumps(run_id).encode())
    _, _, passed_on = lanes.same(API + "/runs/log-metric", raw=raw)
    assert passed_on, reason


def test_lane_answers_a_token_that_may_write_and_leaves_every_other_caller_to_flask(lanes, app, run_id):
    writer = add_token(app, "writer")
    reader = add_token(app, "reader", scope="read")
    revoked = add_token(app, "gone")
    revoke(app, "gone")
    for headers in (bearer(writer), basic(writer)):
        for path, body in ((API + "/runs/log-metric", metric_body(run_id)), (AJAX + "/runs/log-batch", batch_body(run_id))):
            status, answer, passed_on = lanes.same(path, body, headers=headers)
            assert (status, answer, passed_on) == (200, {}, False)
    for headers, status, code in (({}, 401, "UNAUTHENTICATED"), (bearer("not-a-token"), 401, "UNAUTHENTICATED"),
                                  (bearer(revoked), 401, "UNAUTHENTICATED"), (basic(""), 401, "UNAUTHENTICATED"),
                                  ({"Authorization": "Basic %%%"}, 401, "UNAUTHENTICATED"),
                                  (bearer(reader), 403, "PERMISSION_DENIED")):
        answer_status, answer, passed_on = lanes.same(API + "/runs/log-metric", metric_body(run_id), headers=headers)
        assert (answer_status, answer["error_code"], passed_on) == (status, code, True), headers


def test_lane_leaves_a_server_that_requires_tokens_before_any_exists_to_flask(tmp_path):
    app = make_app(tmp_path / "required", AUTH="required")
    status, body, passed_on = Lanes(app).same(API + "/runs/log-metric", metric_body("0" * 32))
    assert (status, body["error_code"], passed_on) == (401, "UNAUTHENTICATED", True)


def test_lane_passes_on_other_methods_and_routes(lanes, run_id):
    assert lanes.same(API + "/runs/set-tag", {"run_id": run_id, "key": "a", "value": "b"})[2]
    before = lanes.flask_calls
    assert lanes.served.get(API + "/runs/log-metric").status_code == 405
    assert lanes.flask_calls == before + 1


def test_lane_passes_on_when_the_body_is_over_the_json_limit(lanes, app, run_id):
    app.config["MAX_JSON_BYTES"] = 100
    body = metric_body(run_id, key="k" * 120)
    status, answer, passed_on = lanes.same(API + "/runs/log-metric", body)
    assert_error((status, answer), INVALID, "too large")
    assert passed_on


def test_lane_hands_an_unexpected_error_to_flask_which_answers_500_when_the_service_fails(
        lanes, monkeypatch, run_id, caplog):
    calls = []

    def failing_log_batch(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(run_data, "log_batch", failing_log_batch)
    with caplog.at_level(logging.ERROR):
        served, flask, passed_on = lanes.both(API + "/runs/log-batch", batch_body(run_id))
    assert passed_on and len(calls) == 3  # the lane, Flask after it, and Flask alone
    assert served.status_code == flask.status_code == 500
    assert served.get_json() == {"error_code": "INTERNAL_ERROR", "message": "Internal error: RuntimeError"}
    assert "disk on fire" in caplog.text


def test_lane_writes_the_same_access_log_line_as_flask_when_the_log_is_on(tmp_path, caplog):
    app = make_app(tmp_path, ACCESS_LOG=True)
    lanes = Lanes(app)
    run_id = Api(app.test_client()).create_run()["info"]["run_id"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mlexp.access"):
        assert not lanes.same(API + "/runs/log-metric?source=loop", metric_body(run_id))[2]
        assert not lanes.same(API + "/runs/log-metric", metric_body("0" * 32))[2]
    lines = [r.getMessage() for r in caplog.records if r.name == "mlexp.access"]
    assert lines == [f"POST {API}/runs/log-metric?source=loop 200"] * 2 + [f"POST {API}/runs/log-metric 404"] * 2
