"""The logging lane serves runs/log-metric and runs/log-batch, every request to them, and answers
as Flask answers its other endpoints: the same headers, MLflow's error JSON, the access-log line.

Flask is never called for these paths except to answer a request the gate refused.
"""
import json
import logging

import pytest
from werkzeug.test import Client

from mlexp.api import logging_lane
from mlexp.http.gate import ADMISSION, Admission, GateMiddleware
from mlexp.services import run_data
from tests.api.helpers import INVALID, NOT_FOUND, assert_error, now_ms
from tests.api.credentials import add_token, basic, bearer
from tests.conftest import Api
from tests.databases import make_app

API = "/api/2.0/mlflow"
AJAX = "/ajax-api/2.0/mlflow"
JSON = {"Content-Type": "application/json"}


class Served:
    """The app as served, counting the requests that reach Flask."""

    def __init__(self, app):
        gate = app.wsgi_app
        assert isinstance(gate, GateMiddleware) and isinstance(gate.admitted_app, logging_lane.LoggingLane)
        behind = gate.flask_wsgi_app
        self.flask_calls = 0

        def counting_flask(environ, start_response):
            self.flask_calls += 1
            return behind(environ, start_response)

        gate.admitted_app.flask_wsgi_app = gate.flask_wsgi_app = counting_flask
        self.client = Client(app)

    def post(self, path: str, body=None, *, raw: bytes | None = None, headers=None):
        data = raw if raw is not None else json.dumps(body).encode()
        return self.client.post(path, data=data, headers={**JSON, **(headers or {})})


@pytest.fixture
def served(app):
    return Served(app)


def metric_body(run_id, **overrides):
    return {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": now_ms(), "step": 3, **overrides}


def batch_body(run_id, **overrides):
    return {"run_id": run_id, "metrics": [{"key": "acc", "value": 0.9, "timestamp": now_ms(), "step": 1}],
            "params": [{"key": "lr", "value": "0.01"}], "tags": [{"key": "team", "value": "vision"}],
            **overrides}


def answer(response) -> tuple[int, dict]:
    return response.status_code, json.loads(response.get_data())


@pytest.mark.parametrize("prefix", [API, AJAX])
def test_lane_logs_and_answers_with_flasks_headers_when_the_call_succeeds(served, api, run_id, get_run, prefix):
    served.flask_calls = 0
    metric = served.post(prefix + "/runs/log-metric", metric_body(run_id))
    batch = served.post(prefix + "/runs/log-batch", batch_body(run_id))
    flask_answer = served.post(prefix + "/runs/set-tag", {"run_id": run_id, "key": "a", "value": "b"})
    assert served.flask_calls == 1  # set-tag only
    for response in (metric, batch):
        assert (response.status, response.get_data()) == ("200 OK", b"{}\n")
        assert list(response.headers) == list(flask_answer.headers)
    data = get_run(run_id)["data"]
    assert [(m["key"], m["value"], m["step"]) for m in data["metrics"]] == [("acc", 0.9, 1), ("loss", 0.5, 3)]
    assert data["params"] == [{"key": "lr", "value": "0.01"}]
    served.post(prefix + "/runs/log-metric", metric_body(run_id, timestamp=1))
    served.post(prefix + "/runs/log-metric", metric_body(run_id, timestamp=1))
    history = api.ok_get("/metrics/get-history", {"run_id": run_id, "metric_key": "loss"})["metrics"]
    assert len(history) == 2  # the same point twice is stored once, as MLflow does


def test_lane_keeps_nan_and_infinities_when_the_client_sends_them(served, api, run_id):
    for value in ("NaN", "Infinity", "-Infinity"):
        raw = json.dumps(metric_body(run_id, key=f"k{value}")).replace("0.5", value).encode()
        assert served.post(API + "/runs/log-metric", raw=raw).status_code == 200
    metrics = {m["key"]: m["value"] for m in api.ok_get("/runs/get", {"run_id": run_id})["run"]["data"]["metrics"]}
    assert (metrics["kNaN"], metrics["kInfinity"], metrics["k-Infinity"]) == ("NaN", "Infinity", "-Infinity")


def test_lane_answers_domain_errors_in_mlflow_json_when_the_run_cannot_take_the_call(served, api, run_id):
    missing = served.post(API + "/runs/log-metric", metric_body("0" * 32))
    assert_error(answer(missing), NOT_FOUND, "0" * 32)
    flask_error = served.post(API + "/runs/set-tag", {"run_id": "0" * 32, "key": "a", "value": "b"})
    assert list(missing.headers) == [(k, v) if k != "Content-Length" else (k, missing.headers[k])
                                     for k, v in flask_error.headers]
    api.ok_post("/runs/log-batch", {"run_id": run_id, "params": [{"key": "lr", "value": "1"}]})
    assert_error(answer(served.post(API + "/runs/log-batch", batch_body(run_id, metrics=[]))),
                 INVALID, "Changing param values is not allowed")
    assert_error(answer(served.post(API + "/runs/log-metric", metric_body(run_id, key="a" * 251))), INVALID)
    api.ok_post("/runs/delete", {"run_id": run_id})
    assert_error(answer(served.post(API + "/runs/log-metric", metric_body(run_id))), INVALID, "deleted")


@pytest.mark.parametrize("raw, status, mention", [
    (b"{not json", 400, "Malformed JSON"),
    (b"[1, 2]", 400, "must be a JSON object"),
    (b"", 400, "'run_id'"),
    (json.dumps({"run_id": "x", "key": "loss", "value": "high", "timestamp": 1}).encode(), 400, "'value'"),
    (json.dumps({"run_uuid": "x", "key": "loss", "value": 1, "timestamp": "17"}).encode(), 200, None),
    (json.dumps({"run_id": "x", "key": "loss", "value": 1, "timestamp": 1, "extra": 1}).encode(), 200, None),
])
def test_lane_reads_what_its_hand_reader_does_not_with_the_schema_when_the_body_is_unusual(
        served, run_id, raw, status, mention):
    served.flask_calls = 0
    response = served.post(API + "/runs/log-metric", raw=raw.replace(b'"x"', json.dumps(run_id).encode()))
    assert response.status_code == status, response.get_data()
    if mention:
        assert mention in answer(response)[1]["message"]
    assert served.flask_calls == 0


def test_lane_answers_other_methods_itself_when_they_are_not_post(served):
    got = served.client.get(API + "/runs/log-metric")
    assert answer(got) == (405, {"error_code": "ENDPOINT_NOT_FOUND",
                                 "message": f"GET is not allowed on {API}/runs/log-metric"})
    options = served.client.options(AJAX + "/runs/log-batch")
    assert (options.status_code, options.headers["Allow"]) == (200, "OPTIONS, POST")
    assert served.flask_calls == 0


def test_refused_requests_are_answered_by_flask_and_never_reach_the_lane_when_tokens_are_on(app, run_id):
    writer = add_token(app, "writer")
    reader = add_token(app, "reader", scope="read")
    served = Served(app)
    for headers in (bearer(writer), basic(writer)):
        assert served.post(API + "/runs/log-metric", metric_body(run_id), headers=headers).status_code == 200
    assert served.flask_calls == 0
    for headers, status, code in (({}, 401, "UNAUTHENTICATED"), (bearer("not-a-token"), 401, "UNAUTHENTICATED"),
                                  (bearer(reader), 403, "PERMISSION_DENIED")):
        status_got, body = answer(served.post(API + "/runs/log-batch", batch_body(run_id), headers=headers))
        assert (status_got, body["error_code"]) == (status, code), headers
    assert served.flask_calls == 3


def test_lane_answers_an_unexpected_error_with_500_when_the_service_fails(served, monkeypatch, run_id, caplog):
    calls = []

    def failing_log_batch(*args, **kwargs):
        calls.append(args)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(run_data, "log_batch", failing_log_batch)
    served.flask_calls = 0
    with caplog.at_level(logging.ERROR):
        response = served.post(API + "/runs/log-batch", batch_body(run_id))
    assert answer(response) == (500, {"error_code": "INTERNAL_ERROR", "message": "Internal error: RuntimeError"})
    assert len(calls) == 1 and "disk on fire" in caplog.text
    assert served.flask_calls == 0


def test_lane_refuses_a_body_running_past_the_limit_when_it_comes_without_a_length(app):
    """Under gunicorn a chunked body reaches the app with no Content-Length."""
    lane = app.wsgi_app.admitted_app
    seen = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": API + "/runs/log-metric", "wsgi.input": _Stream(b"x" * 101),
               ADMISSION: Admission(body_limit=100)}
    body = b"".join(lane(environ, lambda status, headers: seen.append(status)))
    assert seen == ["400 BAD REQUEST"]
    assert "up to 100 bytes" in json.loads(body)["message"]


class _Stream:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def test_lane_writes_the_same_access_log_line_as_flask_when_the_log_is_on(tmp_path, caplog):
    app = make_app(tmp_path, ACCESS_LOG=True)
    served = Served(app)
    run_id = Api(app.test_client()).create_run()["info"]["run_id"]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mlexp.access"):
        served.post(API + "/runs/log-metric?source=loop", metric_body(run_id))
        served.post(API + "/runs/log-metric", metric_body("0" * 32))
        served.post(API + "/runs/set-tag", {"run_id": "0" * 32, "key": "a", "value": "b"})
    lines = [r.getMessage() for r in caplog.records if r.name == "mlexp.access"]
    assert lines == [f"POST {API}/runs/log-metric?source=loop 200", f"POST {API}/runs/log-metric 404",
                     f"POST {API}/runs/set-tag 404"]
