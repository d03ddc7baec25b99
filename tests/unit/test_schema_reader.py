"""schemas/reader.py: every request schema's plain reader answers exactly what marshmallow's
load answers (or refuses what it refuses), and the bodies clients send take the plain path."""
import importlib
import inspect
import math
import pkgutil

import pytest
from hypothesis import given, settings, strategies as st
from marshmallow import ValidationError, fields

import mlexp.schemas
from mlexp.schemas import reader
from mlexp.schemas.base import ProtoDouble, ProtoEnum, ProtoInt, WireSchema
from mlexp.schemas.runs import CreateRunRequest, LogBatchRequest, LogMetricRequest, SearchRunsRequest, metric_point


def _request_schemas():
    found = set()
    for module in pkgutil.iter_modules(mlexp.schemas.__path__):
        for _, cls in inspect.getmembers(importlib.import_module(f"mlexp.schemas.{module.name}"), inspect.isclass):
            if issubclass(cls, WireSchema) and cls.__name__.endswith("Request"):
                found.add(cls)
    return sorted(found, key=lambda cls: cls.__name__)


REQUESTS = _request_schemas()
ODD = st.sampled_from([None, True, "", "12", "NaN", "x", 1.5, 2**64, -(2**63), [], {}])


def _value(field, depth=0):
    """Values for one field: mostly well typed, sometimes the loose or wrong forms."""
    if isinstance(field, ProtoInt):
        good = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from([2**63, -(2**63) - 1]))
    elif isinstance(field, ProtoDouble):
        good = st.one_of(st.floats(allow_nan=False), st.integers(-(2**1030), 2**1030))
    elif isinstance(field, ProtoEnum):
        good = st.sampled_from(field.names)
    elif isinstance(field, fields.Boolean):
        good = st.booleans()
    elif isinstance(field, fields.Nested) and isinstance(field.nested, type) and depth < 2:
        good = _body(field.nested, depth + 1)
    elif isinstance(field, fields.List) and depth < 2:
        good = st.lists(_value(field.inner, depth + 1), max_size=3)
    else:
        good = st.text(max_size=4)
    return st.one_of(good, good, good, ODD)


def _body(schema_class, depth=0):
    schema = reader.instance(schema_class)
    keys = {field.data_key or name: _value(field, depth) for name, field in schema.load_fields.items()}
    extra = {"run_uuid": st.sampled_from(["abc", ""]), "runUuid": st.just("x"), "unknown_key": st.just(1)}
    return st.fixed_dictionaries({}, optional={**keys, **extra})


def _plain(value):
    """Comparable form: NaN equals NaN, key order ignored."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return sorted((key, _plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _outcome(load, schema_class, body):
    try:
        return "ok", _plain(load(schema_class, body))
    except ValidationError as exc:
        return "refused", exc.messages


def test_request_schemas_found_and_most_are_read_plainly():
    assert len(REQUESTS) > 40
    assert reader._object_reader(LogBatchRequest) is not None
    assert reader._object_reader(SearchRunsRequest) is not None


@pytest.mark.parametrize("schema_class", REQUESTS, ids=lambda cls: cls.__name__)
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(data=st.data())
def test_the_plain_reader_answers_as_marshmallow_does(schema_class, data):
    body = data.draw(_body(schema_class))
    expected = _outcome(lambda cls, b: cls().load(b), schema_class, body)
    assert _outcome(reader.read, schema_class, body) == expected


def _plainly_read(schema_class, body):
    return reader._object_reader(schema_class)(body)


def test_the_clients_bodies_take_the_plain_path():
    batch = {"run_id": "r1", "metrics": [{"key": "loss", "value": 0.5, "timestamp": 1, "step": 2},
                                         {"key": "acc", "value": 1, "timestamp": 2}],
             "params": [{"key": "lr", "value": "0.1"}], "tags": []}
    loaded = _plainly_read(LogBatchRequest, batch)
    assert loaded == LogBatchRequest().load(batch)
    point = metric_point(loaded["metrics"][1])
    assert (point.step, point.value, type(point.value), point.model_id) == (0, 1.0, float, None)

    # mlflow.log_metric sends run_uuid beside run_id
    metric = {"run_id": "r1", "run_uuid": "r1", "key": "loss", "value": 0.25, "timestamp": 17, "step": 3}
    loaded = _plainly_read(LogMetricRequest, metric)
    assert loaded == LogMetricRequest().load(metric) and loaded["run_id"] == "r1"
    assert _plainly_read(LogMetricRequest, {**metric, "run_id": ""})["run_id"] == "r1"

    create = {"experiment_id": "0", "start_time": 1700000000000, "tags": [{"key": "a", "value": "b"}],
              "run_name": "r"}
    assert _plainly_read(CreateRunRequest, create) == CreateRunRequest().load(create)


def test_loose_forms_are_left_to_marshmallow_and_still_read():
    metric = {"run_id": "r1", "key": "loss", "value": "NaN", "timestamp": "17"}
    with pytest.raises(reader._NotPlain):
        _plainly_read(LogMetricRequest, metric)
    loaded = reader.read(LogMetricRequest, metric)
    assert math.isnan(loaded["value"]) and loaded["timestamp"] == 17
    with pytest.raises(ValidationError):
        reader.read(LogMetricRequest, {"run_id": "r1", "key": "k", "value": True, "timestamp": 1})
