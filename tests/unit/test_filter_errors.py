"""Filters the grammar refuses: each raises InvalidParameter naming what is wrong and where."""

import pytest

from mlexp.errors import ErrorCode, InvalidParameter
from mlexp.search.filter import parse_experiment_filter, parse_run_filter


def run_filter_error(text: str) -> str:
    with pytest.raises(InvalidParameter) as exc:
        parse_run_filter(text)
    assert exc.value.code == ErrorCode.INVALID_PARAMETER_VALUE
    assert exc.value.http_status == 400
    return exc.value.message


@pytest.mark.parametrize("text, comparator", [
    ("metrics.m LIKE 1", "LIKE"),
    ("metrics.m ILIKE 1", "ILIKE"),
    ("metrics.m IN ('1')", "IN"),
    ("metrics.m NOT IN ('1')", "NOT IN"),
    ("metrics.m IS NULL", "IS NULL"),
    ("metrics.m IS NOT NULL", "IS NOT NULL"),
    ("params.p > 'a'", ">"),
    ("params.p >= 'a'", ">="),
    ("params.p < 'a'", "<"),
    ("params.p <= 'a'", "<="),
    ("tags.t > 'a'", ">"),
    ("tags.t <= 'a'", "<="),
    ("attributes.status > 'a'", ">"),
    ("attributes.run_name <= 'a'", "<="),
    ("attributes.status IS NULL", "IS NULL"),
    ("attributes.user_id IS NOT NULL", "IS NOT NULL"),
    ("attributes.start_time LIKE 1", "LIKE"),
    ("attributes.end_time ILIKE 1", "ILIKE"),
    ("attributes.start_time IN ('1')", "IN"),
    ("attributes.created NOT IN ('1')", "NOT IN"),
    ("attributes.end_time IS NULL", "IS NULL"),
    ("datasets.name > 'a'", ">"),
    ("datasets.context < 'a'", "<"),
    ("datasets.digest IS NULL", "IS NULL"),
    ("params.p NOT LIKE 'a'", "NOT LIKE"),
    ("params.p NOT ILIKE 'a'", "NOT ILIKE"),
])
def test_comparator_is_rejected_when_the_entity_does_not_allow_it(text, comparator):
    message = run_filter_error(text)
    assert f"Invalid comparator '{comparator}'" in message
    assert "expected one of" in message


@pytest.mark.parametrize("text, token", [
    ("params.p IS 'a'", "IS"),
    ("params.p IS", "IS"),
    ("params.p IS NOT 'a'", "IS"),
    ("metrics.m BETWEEN 1", "BETWEEN"),
    ("metrics.m 1", "1"),
    ("params.p NOT 'a'", "NOT"),
])
def test_comparator_is_rejected_when_not_part_of_the_grammar(text, token):
    assert f"Invalid comparator '{token}'" in run_filter_error(text)


@pytest.mark.parametrize("text, entity", [
    ("foo.a > 1", "foo"),
    ("metricz.a > 1", "metricz"),
    ("runs.status = 'x'", "runs"),
    ("experiment.name = 'x'", "experiment"),
])
def test_entity_is_rejected_when_unknown(text, entity):
    message = run_filter_error(text)
    assert f"Invalid entity type '{entity}'" in message
    # Every spelling MLflow accepts, exactly as written (entity names are case-sensitive).
    assert message.endswith(
        "expected one of: attr, attribute, attributes, dataset, datasets, metric, metrics, "
        "param, parameter, parameters, params, run, tag, tags"
    )


@pytest.mark.parametrize("text, key", [
    ("attributes.bogus = 'x'", "bogus"),
    ("attributes.name = 'x'", "name"),
    ("attributes.`run  name` = 'x'", "run  name"),
    ("attributes.Status = 'x'", "Status"),
])
def test_attribute_is_rejected_when_runs_do_not_have_it(text, key):
    message = run_filter_error(text)
    assert f"Invalid attribute key '{key}'" in message
    assert "run_id" in message and "start_time" in message


def test_dataset_field_is_rejected_when_not_name_digest_or_context():
    message = run_filter_error("datasets.source = 'x'")
    assert "Invalid dataset key 'source'; expected one of: context, digest, name" in message


def test_bare_identifier_is_rejected_when_it_names_no_attribute():
    assert "'bogus'" in run_filter_error("bogus = 'x'")


@pytest.mark.parametrize("text, position", [
    ("params.p = 'abc", 11),
    ('params.p = "abc', 11),
    ("params.p = 'it\\'s", 11),
    ("params.p = 'a' AND params.q = 'b", 30),
    ("metrics.`my metric > 1", 8),
    ('metrics."my metric > 1', 8),
])
def test_unclosed_quote_is_reported_with_its_position(text, position):
    assert f"Unclosed quote at position {position}" in run_filter_error(text)


@pytest.mark.parametrize("text, message", [
    ("metrics.m > '1'", "Expected a numeric value for metric 'm', got '1'"),
    ('metrics.m > "x"', "Expected a numeric value for metric 'm', got 'x'"),
    ("attributes.start_time > 'yesterday'", "Expected a numeric value for attribute 'start_time'"),
    ("attributes.created > '5'", "Expected a numeric value for attribute 'start_time'"),
    ("metrics.m > abc", "Invalid value 'abc' at position 12"),
    ("metrics.m > 1abc", "Invalid value '1abc' at position 12"),
    ("metrics.m > NaN", "Invalid value 'NaN' at position 12"),
    ("metrics.m > 0x10", "Invalid value '0x10' at position 12"),
])
def test_metric_value_is_rejected_when_not_a_number(text, message):
    assert message in run_filter_error(text)


@pytest.mark.parametrize("text, message", [
    ("params.p = 1", "Expected a quoted string value for param 'p', got 1"),
    ("params.p LIKE 1", "Expected a quoted string value for param 'p', got 1"),
    ("tags.t != 2.5", "Expected a quoted string value for tag 't', got 2.5"),
    ("attributes.status = 1", "Expected a quoted string value for attribute 'status', got 1"),
    ("datasets.name = -3", "Expected a quoted string value for dataset 'name', got -3"),
    ("params.p = abc", "Invalid value 'abc' at position 11"),
])
def test_string_value_is_rejected_when_not_quoted(text, message):
    assert message in run_filter_error(text)


@pytest.mark.parametrize("text, token, position", [
    ("metrics.a > 1 OR metrics.b > 2", "OR", 14),
    ("metrics.a > 1 or params.b = 'x'", "or", 14),
    ("metrics.a > 1 garbage", "garbage", 14),
    ("metrics.a > 1 )", ")", 14),
    ("params.p = 'a' 'b'", "'b'", 15),
    ("metrics.a > 1 AND metrics.b > 2 2", "2", 32),
])
def test_clause_is_rejected_when_not_joined_by_and(text, token, position):
    message = run_filter_error(text)
    assert f"Invalid clause {token!r} at position {position}" in message
    assert "only comparisons joined by AND are supported" in message


@pytest.mark.parametrize("text, message", [
    ("metrics.m >", "Filter ended early"),
    ("params.p =", "Filter ended early"),
    ("metrics.m", "Filter ended early"),
    ("metrics.", "Filter ended early"),
    ("params.p IS NOT", "Filter ended early"),
    ("attributes.run_id IN", "Filter ended early"),
    ("attributes.run_id IN ('a'", "Filter ended early"),
    ("attributes.run_id IN ('a',", "Filter ended early"),
    ("params.p = AND params.q = 'x'", "Invalid value 'AND' at position 11"),
    ("metrics.m == 1", "Invalid value '=' at position 11"),
])
def test_value_is_reported_missing_when_the_clause_stops_short(text, message):
    assert message in run_filter_error(text)


@pytest.mark.parametrize("text, message", [
    ("attributes.run_id IN ()", "Invalid list item ')' at position 22"),
    ("attributes.run_id IN 'a'", "Expected '(' after IN at position 21"),
    ("attributes.run_id NOT IN 'a'", "Expected '(' after IN at position 25"),
    ("attributes.run_id IN (1, 2)", "Invalid list item '1' at position 22"),
    ("attributes.run_id IN ('a', 2)", "Invalid list item '2' at position 27"),
    ("attributes.run_id IN ('a' AND 'b')", "Expected ',' or ')' at position 26"),
    ("datasets.name IN ()", "Invalid list item ')' at position 18"),
])
def test_in_list_is_rejected_when_empty_or_malformed(text, message):
    assert message in run_filter_error(text)


@pytest.mark.parametrize("text, message", [
    ("(metrics.a > 1)", "Invalid identifier '(' at position 0"),
    ("> 1", "Invalid identifier '>' at position 0"),
    (".a > 1", "Invalid identifier '.' at position 0"),
    ("'metrics'.a > 1", "Invalid identifier \"'metrics'\" at position 0"),
    ("metrics.a > 1;", "Unexpected character at position 13"),
    ("metrics.a ~ 1", "Unexpected character at position 10"),
    ("metrics.a > 1 AND metrics.b ! 2", "Unexpected character at position 28"),
])
def test_stray_syntax_is_reported_with_its_position(text, message):
    assert message in run_filter_error(text)


def test_experiment_filter_raises_invalid_parameter_when_syntax_is_broken():
    with pytest.raises(InvalidParameter, match="Unclosed quote at position 7"):
        parse_experiment_filter("name = 'abc")


# The number token used to backtrack quadratically on a long digit run followed by a letter
# (3,000 digits took ~0.5 s, 20,000 ~23 s); possessive quantifiers keep every token linear.
# The cases assert the outcome only: a regression shows up as a hanging suite, not a timing assert.
N = 20_000


@pytest.mark.parametrize("text, parses", [
    ("metrics.m > " + "1" * N + "x", False),
    ("metrics." + "1" * N + "x > 1", True),
    ("metrics.m > " + "1" * N + "." + "2" * N + "e" + "3" * N + "x", False),
    ("metrics.m > " + "." * 3000 + "1", False),
    ("params.p = '" + "\\" * N + "x", False),
    ("params.p = '" + "''" * N + "x", False),
    ('params.p = "' + '\\"' * N, False),
    ("metrics.`" + "a" * N, False),
    ("metrics." + "a." * 3000 + "b > 1", True),
    ("metrics.m > 1" + " " * N + "x", False),
])
def test_hostile_input_is_tokenized_when_long(text, parses):
    try:
        parse_run_filter(text)
        parsed = True
    except InvalidParameter:
        parsed = False
    assert parsed is parses


@pytest.mark.parametrize("text", [
    "attributes.start_time > 9223372036854775807", "end_time >= -9223372036854775808",
])
def test_time_attribute_parses_when_integer_is_at_the_int64_bounds(text):
    [comparison] = parse_run_filter(text)
    assert -(2**63) <= comparison.value < 2**63


# Beyond int64 an integer literal is read as a double, as MLflow compares metrics: SQLite cannot
# bind a bigger int (OverflowError used to escape as a 500 from /runs/search).
@pytest.mark.parametrize("text, value", [
    ("attributes.start_time > 9223372036854775808", 2.0**63),
    ("created < -9223372036854775809", -(2.0**63)),
    ("end_time = 100000000000000000000", 1e20),
])
def test_run_time_parses_to_a_double_when_integer_is_outside_int64(text, value):
    [comparison] = parse_run_filter(text)
    assert comparison.value == value
    assert type(comparison.value) is float


# Experiment times must be integer literals, so one beyond int64 is refused (it used to reach
# SQLite and answer 500).
@pytest.mark.parametrize("text, key", [
    ("creation_time > 9223372036854775808", "creation_time"),
    ("creation_time > -9223372036854775809", "creation_time"),
    ("last_update_time < 100000000000000000000", "last_update_time"),
])
def test_experiment_time_is_rejected_when_integer_is_outside_int64(text, key):
    with pytest.raises(InvalidParameter, match=f"Expected an integer value for attribute '{key}'"):
        parse_experiment_filter(text)


def test_filter_is_rejected_when_it_has_more_comparisons_than_the_limit():
    assert len(parse_run_filter(" AND ".join(["metrics.m > 1"] * 100))) == 100
    message = run_filter_error(" AND ".join(["metrics.m > 1"] * 101))
    assert "more than 100 comparisons" in message
