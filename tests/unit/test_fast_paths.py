"""The fast request readers must agree with their schemas wherever they answer, and step aside otherwise."""
import pytest
from hypothesis import given, settings, strategies as st

from mlexp.schemas.runs import LogBatchRequest, LogMetricRequest, fast_log_batch, fast_log_metric

INT64 = st.integers(-(2**63), 2**63 - 1)
NUMBER = st.one_of(st.floats(allow_nan=False), st.integers(-(2**70), 2**70), st.booleans(),
                   st.just("NaN"), st.just("1.5"), st.none())
metric = st.fixed_dictionaries(
    {"key": st.one_of(st.text(max_size=5), st.integers()), "value": NUMBER,
     "timestamp": st.one_of(INT64, st.integers(2**63, 2**64), st.just("12"), st.none())},
    optional={"step": st.one_of(INT64, st.floats(), st.just("3")), "extra": st.just(1)})
pair = st.fixed_dictionaries({"key": st.text(max_size=5)},
                             optional={"value": st.one_of(st.text(max_size=5), st.none(), st.integers())})
body = st.fixed_dictionaries(
    {"run_id": st.one_of(st.just("abc"), st.just(""), st.integers())},
    optional={"metrics": st.lists(metric, max_size=4), "params": st.lists(pair, max_size=3),
              "tags": st.lists(pair, max_size=3), "runUuid": st.just("x")})


def test_the_clients_usual_body_takes_the_fast_path():
    data = {"run_id": "r1", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 2},
                                        {"key": "acc", "value": 1, "timestamp": 2}],
            "params": [{"key": "lr", "value": "0.1"}], "tags": []}
    fast = fast_log_batch(data)
    assert fast is not None and fast == LogBatchRequest().load(data)
    assert fast["metrics"][1].step == 0 and fast["metrics"][1].value == 1.0


metric_body = st.fixed_dictionaries(
    {"key": st.one_of(st.text(max_size=5), st.integers()), "value": NUMBER,
     "timestamp": st.one_of(INT64, st.integers(2**63, 2**64), st.just("12"), st.none())},
    optional={"run_id": st.one_of(st.just("abc"), st.just(""), st.integers(), st.none()),
              "run_uuid": st.one_of(st.just("abc"), st.just("other")),
              "step": st.one_of(INT64, st.floats(), st.just("3")), "model_id": st.just("m-1"),
              "extra": st.just(1)})


@pytest.mark.parametrize("fast, schema, bodies", [(fast_log_batch, LogBatchRequest, body),
                                                   (fast_log_metric, LogMetricRequest, metric_body)],
                         ids=["log-batch", "log-metric"])
@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_fast_reader_agrees_with_its_schema_or_steps_aside(fast, schema, bodies, data):
    request = data.draw(bodies)
    answer = fast(request)
    if answer is None:
        return
    assert answer == schema().load(request)


def test_the_clients_log_metric_body_takes_the_fast_path():
    data = {"run_id": "r1", "run_uuid": "r1", "key": "loss", "value": 0.25, "timestamp": 17, "step": 3}
    fast = fast_log_metric(data)
    assert fast is not None and fast == LogMetricRequest().load(data)
    assert (fast["metric"].key, fast["metric"].step) == ("loss", 3)
