"""ProtoInt, ProtoDouble and ProtoEnum: protobuf-JSON numbers and enums through marshmallow."""
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError

from mlexp.schemas.base import RUN_STATUS, VIEW_TYPE, ProtoDouble, ProtoEnum, ProtoInt


class Sample(Schema):
    count = ProtoInt()
    value = ProtoDouble()
    view = ProtoEnum(VIEW_TYPE)
    status = ProtoEnum(RUN_STATUS)
    letter = ProtoEnum(("A", "B", "C"), first_number=0)


def load(field: str, raw):
    return Sample().load({field: raw})[field]


def load_error(field: str, raw) -> str:
    with pytest.raises(ValidationError) as exc:
        Sample().load({field: raw})
    [message] = exc.value.messages[field]
    return message


@pytest.mark.parametrize("raw, expected", [
    (5, 5), (0, 0), (-5, -5), (2**62, 2**62), ("12", 12), ("-7", -7), ("0", 0),
    ("9007199254740993", 9007199254740993), (3.0, 3), (-2.0, -2), (1e15, 10**15),
    (2**63 - 1, 2**63 - 1), (-(2**63), -(2**63)), (str(2**63 - 1), 2**63 - 1),
    (str(-(2**63)), -(2**63)), (" 42 ", 42),
])
def test_int_loads_when_number_or_decimal_string(raw, expected):
    value = load("count", raw)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize("raw", [
    True, False, 1.5, -0.1, "1.5", "abc", "", "0x10", [1], {"n": 1}, math.nan, math.inf,
])
def test_int_is_rejected_when_bool_fraction_or_not_a_number(raw):
    assert load_error("count", raw).startswith("Not a valid integer")


def test_int_is_rejected_when_null():
    assert load_error("count", None) == "Field may not be null."


@pytest.mark.parametrize("value, dumped", [(7, 7), ("7", 7), (-1, -1), (None, None)])
def test_int_dumps_as_json_number_when_serialised(value, dumped):
    assert Sample().dump({"count": value}) == {"count": dumped}


# Protobuf JSON refuses integers outside int64 ("Value out of range"); they used to reach SQLite
# (OverflowError -> 500, e.g. log-metric with timestamp 2**64).
@pytest.mark.parametrize("raw", [2**63, -(2**63) - 1, str(2**63), str(2**64), 1e20, -1e19, 10**400])
def test_int_is_rejected_when_outside_int64(raw):
    assert load_error("count", raw) == f"Value out of range for a 64-bit integer: {raw!r}."


@pytest.mark.parametrize("raw, expected", [
    (1, 1.0), (0, 0.0), (-3, -3.0), (1.5, 1.5), (-2.5, -2.5), ("1.5", 1.5), ("-3", -3.0),
    ("1e3", 1000.0), ("2.5E-3", 0.0025), ("Infinity", math.inf), ("-Infinity", -math.inf),
    (1e308, 1e308),
])
def test_double_loads_as_float_when_number_or_numeric_string(raw, expected):
    value = load("value", raw)
    assert value == expected
    assert type(value) is float


def test_double_loads_nan_when_given_the_string_nan():
    assert math.isnan(load("value", "NaN"))


@pytest.mark.parametrize("raw", [True, False, "abc", "", "1,5", [1.0], {"v": 1}])
def test_double_is_rejected_when_bool_or_not_a_number(raw):
    assert load_error("value", raw).startswith("Not a valid double")


@pytest.mark.parametrize("value, dumped", [
    (math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (1, 1.0), (2.5, 2.5),
    (-0.0, -0.0), (None, None),
])
def test_double_dumps_non_finite_as_protobuf_strings_when_serialised(value, dumped):
    assert Sample().dump({"value": value}) == {"value": dumped}


@settings(max_examples=200, deadline=None, database=None)
@given(number=st.floats())
def test_double_survives_dump_then_load_when_any_float(number):
    wire = Sample().dump({"value": number})["value"]
    back = load("value", wire)
    assert back == number or (math.isnan(back) and math.isnan(number))


# float() of a JSON integer too big for a double raises OverflowError; it used to escape as a 500
# (log-metric with value 1 followed by 400 zeros).
@pytest.mark.parametrize("raw", [10**400, -(10**400), 2**1024])
def test_double_is_rejected_when_integer_is_too_large_for_a_double(raw):
    assert load_error("value", raw) == f"Value out of range for a double: {raw!r}."


def test_double_loads_when_integer_is_just_inside_the_double_range():
    assert load("value", 2**1023) == float(2**1023)


@pytest.mark.parametrize("raw, expected", [
    ("ACTIVE_ONLY", "ACTIVE_ONLY"), ("DELETED_ONLY", "DELETED_ONLY"), ("ALL", "ALL"),
    (1, "ACTIVE_ONLY"), (2, "DELETED_ONLY"), (3, "ALL"), ("1", "ACTIVE_ONLY"), ("3", "ALL"),
])
def test_view_type_loads_to_its_name_when_given_name_or_number(raw, expected):
    assert load("view", raw) == expected


@pytest.mark.parametrize("number, name", list(enumerate(RUN_STATUS, start=1)))
def test_run_status_loads_to_its_name_when_given_its_proto_number(number, name):
    assert load("status", number) == name
    assert load("status", name) == name


@pytest.mark.parametrize("raw", ["running", "Finished", "DONE", "", " RUNNING", 0, 6, True])
def test_run_status_is_rejected_when_not_an_exact_mlflow_run_status(raw):
    assert load_error("status", raw) == f"Not one of RUNNING, SCHEDULED, FINISHED, FAILED, KILLED: {raw!r}."
    assert RUN_STATUS == ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


@pytest.mark.parametrize("raw, expected", [(0, "A"), (1, "B"), (2, "C"), ("2", "C"), ("A", "A")])
def test_enum_counts_from_first_number_when_numbering_starts_at_zero(raw, expected):
    assert load("letter", raw) == expected


@pytest.mark.parametrize("raw", [0, 4, -1, "0", "4", "-1", "active_only", "", "x", True, 1.0])
def test_view_type_is_rejected_when_unknown_name_or_out_of_range_number(raw):
    assert load_error("view", raw).startswith("Not one of ACTIVE_ONLY, DELETED_ONLY, ALL: ")


def test_enum_is_rejected_when_number_is_past_the_last_value():
    assert load_error("letter", 3) == "Not one of A, B, C: 3."


def test_enum_dumps_its_name_when_serialised():
    assert Sample().dump({"view": "ALL", "status": "KILLED"}) == {"view": "ALL", "status": "KILLED"}
