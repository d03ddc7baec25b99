"""fast_log_batch must agree with LogBatchRequest wherever it answers, and step aside otherwise."""
from hypothesis import given, settings, strategies as st

from mlexp.schemas.runs import LogBatchRequest, fast_log_batch

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


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(body)
def test_fast_path_agrees_with_the_schema_or_steps_aside(data):
    fast = fast_log_batch(data)
    if fast is None:
        return
    assert fast == LogBatchRequest().load(data)


def test_the_clients_usual_body_takes_the_fast_path():
    data = {"run_id": "r1", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 2},
                                        {"key": "acc", "value": 1, "timestamp": 2}],
            "params": [{"key": "lr", "value": "0.1"}], "tags": []}
    fast = fast_log_batch(data)
    assert fast is not None and fast == LogBatchRequest().load(data)
    assert fast["metrics"][1].step == 0 and fast["metrics"][1].value == 1.0
