"""parse_experiment_filter: search_experiments filters, where attributes may be written bare."""
import pytest

from mlexp.errors import InvalidParameter
from mlexp.search.filter import Comparison as C
from mlexp.search.filter import parse_experiment_filter

NUMERIC_OPS = ["=", "!=", ">", ">=", "<", "<="]


@pytest.mark.parametrize("op", ["=", "!=", "LIKE", "ILIKE"])
@pytest.mark.parametrize("spelling", ["name", "attribute.name", "`name`", "attribute.`name`",
                                      '"name"', "attribute.'name'", 'attribute."name"'])
def test_name_comparison_parses_when_bare_or_prefixed(spelling, op):
    assert parse_experiment_filter(f"{spelling} {op} 'exp%'") == [
        C("attribute", "name", op, "exp%")
    ]


@pytest.mark.parametrize("key", ["creation_time", "last_update_time"])
@pytest.mark.parametrize("op", NUMERIC_OPS)
def test_time_comparison_parses_to_int_when_comparator_is_numeric(key, op):
    [comparison] = parse_experiment_filter(f"{key} {op} 1700000000000")
    assert comparison == C("attribute", key, op, 1700000000000)
    assert type(comparison.value) is int


@pytest.mark.parametrize("op", ["=", "!="])
@pytest.mark.parametrize("spelling", ["experiment_id", "attribute.experiment_id", "`experiment_id`"])
def test_experiment_id_comparison_parses_to_a_string_when_compared(spelling, op):
    assert parse_experiment_filter(f"{spelling} {op} '12'") == [
        C("attribute", "experiment_id", op, "12")
    ]


@pytest.mark.parametrize("op", ["IN", "NOT IN"])
def test_experiment_id_list_parses_to_tuple_when_comparator_is_in_or_not_in(op):
    assert parse_experiment_filter(f"experiment_id {op} ('1', \"2\", '3')") == [
        C("attribute", "experiment_id", op, ("1", "2", "3"))
    ]


@pytest.mark.parametrize("entity", ["tag", "tags"])
@pytest.mark.parametrize("op", ["=", "!=", "LIKE", "ILIKE"])
def test_tag_comparison_parses_when_comparator_is_for_strings(entity, op):
    assert parse_experiment_filter(f"{entity}.owner {op} 'me'") == [C("tag", "owner", op, "me")]


@pytest.mark.parametrize("op", ["IS NULL", "IS NOT NULL", "is null", "is not null"])
def test_tag_null_check_parses_when_written_in_any_case(op):
    assert parse_experiment_filter(f"tags.owner {op}") == [C("tag", "owner", op.upper(), None)]


@pytest.mark.parametrize("text, key", [
    ("tags.`my key` = 'v'", "my key"),
    ('tags."a.b-c" = \'v\'', "a.b-c"),
    ("tags.'a b' = 'v'", "a b"),
    ("tag.ключ = 'v'", "ключ"),
    ("tags.mlflow.note.content = 'v'", "mlflow.note.content"),
])
def test_tag_key_is_unquoted_when_backticked_double_quoted_or_dotted(text, key):
    assert parse_experiment_filter(text) == [C("tag", key, "=", "v")]


def test_clauses_come_back_in_order_when_joined_by_and():
    text = "name LIKE 'a%' and tags.k IS NULL AND creation_time >= 0"
    assert parse_experiment_filter(text) == [
        C("attribute", "name", "LIKE", "a%"),
        C("tag", "k", "IS NULL", None),
        C("attribute", "creation_time", ">=", 0),
    ]


@pytest.mark.parametrize("text", [None, "", "   "])
def test_no_comparisons_when_experiment_filter_is_empty_or_blank(text):
    assert parse_experiment_filter(text) == []


@pytest.mark.parametrize("text, comparator", [
    ("name > 'a'", ">"),
    ("name <= 'a'", "<="),
    ("name IS NULL", "IS NULL"),
    ("creation_time LIKE 1", "LIKE"),
    ("last_update_time IS NOT NULL", "IS NOT NULL"),
    ("creation_time IN ('1')", "IN"),
    ("tags.k > 'a'", ">"),
    ("tags.k IN ('a')", "IN"),
    ("tags.k NOT IN ('a')", "NOT IN"),
    ("experiment_id > '1'", ">"),
    ("experiment_id IS NULL", "IS NULL"),
])
def test_experiment_comparator_is_rejected_when_not_allowed_for_the_field(text, comparator):
    with pytest.raises(InvalidParameter, match=f"Invalid comparator '{comparator}'"):
        parse_experiment_filter(text)


# MLflow's SearchExperimentsUtils.LIST_SUPPORTED_KEYS: only experiment_id takes IN lists.
@pytest.mark.parametrize("text, comparator", [
    ("name IN ('a')", "IN"),
    ("name NOT IN ('a')", "NOT IN"),
    ("`name` in ('a', 'b')", "IN"),
])
def test_experiment_list_is_rejected_when_attribute_is_not_experiment_id(text, comparator):
    with pytest.raises(InvalidParameter) as exc:
        parse_experiment_filter(text)
    assert exc.value.message == (
        f"{comparator} lists are only supported for experiment_id, not for attribute 'name'"
    )


@pytest.mark.parametrize("text, entity", [
    ("metrics.m > 1", "metrics"),
    ("params.p = 'a'", "params"),
    ("datasets.name = 'a'", "datasets"),
    ("experiment.name = 'a'", "experiment"),
])
def test_entity_is_rejected_when_experiments_do_not_have_it(text, entity):
    with pytest.raises(InvalidParameter) as exc:
        parse_experiment_filter(text)
    assert exc.value.message == (
        f"Invalid entity type '{entity}' in filter; expected one of: attribute, tag, tags"
    )


@pytest.mark.parametrize("text, key", [
    ("foo = 'x'", "foo"),
    ("start_time > 1", "start_time"),
    ("run_name = 'x'", "run_name"),
    ("attribute.status = 'x'", "status"),
    ("`my name` = 'x'", "my name"),
    ("Name = 'x'", "Name"),
    ("experimentId = '1'", "experimentId"),
])
def test_attribute_is_rejected_when_experiments_do_not_have_it(text, key):
    with pytest.raises(InvalidParameter) as exc:
        parse_experiment_filter(text)
    assert exc.value.message == (
        f"Invalid attribute key '{key}'; expected one of: "
        "creation_time, experiment_id, last_update_time, name"
    )


@pytest.mark.parametrize("text, message", [
    ("name = 1", "Expected a quoted string value for attribute 'name', got 1"),
    ("tags.k = 2.5", "Expected a quoted string value for tag 'k', got 2.5"),
    ("creation_time > 'yesterday'", "Expected a numeric value for attribute 'creation_time'"),
    ("experiment_id = 1", "Expected a quoted string value for attribute 'experiment_id', got 1"),
    ("creation_time < 2.5", "Expected an integer value for attribute 'creation_time', got 2.5"),
])
def test_value_is_rejected_when_of_the_wrong_kind_for_the_field(text, message):
    with pytest.raises(InvalidParameter, match=message):
        parse_experiment_filter(text)
