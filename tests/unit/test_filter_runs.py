"""parse_run_filter: MLflow's search_runs filter grammar, accepted clause by accepted clause."""
import pytest

from mlexp.search.filter import Comparison as C
from mlexp.search.filter import parse_run_filter

NUMERIC_OPS = ["=", "!=", ">", ">=", "<", "<="]
STRING_OPS = ["=", "!=", "LIKE", "ILIKE"]


@pytest.mark.parametrize("text, expected", [
    ("metric.acc > 0.5", C("metric", "acc", ">", 0.5)),
    ("metrics.acc > 0.5", C("metric", "acc", ">", 0.5)),
    ("param.lr = '0.1'", C("param", "lr", "=", "0.1")),
    ("params.lr = '0.1'", C("param", "lr", "=", "0.1")),
    ("parameter.lr = '0.1'", C("param", "lr", "=", "0.1")),
    ("parameters.lr = '0.1'", C("param", "lr", "=", "0.1")),
    ("tag.team = 'ml'", C("tag", "team", "=", "ml")),
    ("tags.team = 'ml'", C("tag", "team", "=", "ml")),
    ("attribute.status = 'FINISHED'", C("attribute", "status", "=", "FINISHED")),
    ("attributes.status = 'FINISHED'", C("attribute", "status", "=", "FINISHED")),
    ("attr.status = 'FINISHED'", C("attribute", "status", "=", "FINISHED")),
    ("run.status = 'FINISHED'", C("attribute", "status", "=", "FINISHED")),
    ("dataset.name = 'train'", C("dataset", "name", "=", "train")),
    ("datasets.name = 'train'", C("dataset", "name", "=", "train")),
])
def test_entity_resolves_to_canonical_name_when_written_as_any_alias(text, expected):
    assert parse_run_filter(text) == [expected]


@pytest.mark.parametrize("op", NUMERIC_OPS)
def test_metric_comparison_parses_when_comparator_is_numeric(op):
    assert parse_run_filter(f"metrics.loss {op} 2") == [C("metric", "loss", op, 2)]
    assert parse_run_filter(f"metrics.loss {op} 2.5") == [C("metric", "loss", op, 2.5)]


@pytest.mark.parametrize("entity", ["param", "tag"])
@pytest.mark.parametrize("op", STRING_OPS)
def test_param_and_tag_comparison_parses_when_comparator_is_for_strings(entity, op):
    assert parse_run_filter(f"{entity}s.k {op} 'v%'") == [C(entity, "k", op, "v%")]


@pytest.mark.parametrize("entity", ["param", "tag"])
@pytest.mark.parametrize("op", ["IS NULL", "IS NOT NULL"])
def test_null_check_carries_no_value_when_entity_is_param_or_tag(entity, op):
    assert parse_run_filter(f"{entity}s.k {op}") == [C(entity, "k", op, None)]


@pytest.mark.parametrize("key", ["run_id", "run_name", "status", "user_id", "artifact_uri"])
@pytest.mark.parametrize("op", STRING_OPS)
def test_string_attribute_comparison_parses_when_comparator_is_for_strings(key, op):
    assert parse_run_filter(f"attributes.{key} {op} 'x'") == [C("attribute", key, op, "x")]


@pytest.mark.parametrize("key", ["start_time", "end_time"])
@pytest.mark.parametrize("op", NUMERIC_OPS)
def test_time_attribute_comparison_parses_when_comparator_is_numeric(key, op):
    [comparison] = parse_run_filter(f"attributes.{key} {op} 1700000000000")
    assert comparison == C("attribute", key, op, 1700000000000)
    assert type(comparison.value) is int


@pytest.mark.parametrize("op", ["IN", "NOT IN"])
def test_run_id_list_parses_to_tuple_when_comparator_is_in_or_not_in(op):
    assert parse_run_filter(f"attributes.run_id {op} ('a1', \"b2\", 'c3')") == [
        C("attribute", "run_id", op, ("a1", "b2", "c3"))
    ]


@pytest.mark.parametrize("text, expected", [
    ("attributes.run_id IN ('only')", ("only",)),
    ("attributes.run_id IN('a','b')", ("a", "b")),
    ("attributes.run_id IN (  'a' ,\n'b'  )", ("a", "b")),
    ("attributes.run_id IN ('it''s', 'a,b')", ("it's", "a,b")),
])
def test_in_list_items_are_unquoted_when_spaced_or_packed(text, expected):
    assert parse_run_filter(text) == [C("attribute", "run_id", "IN", expected)]


@pytest.mark.parametrize("key", ["name", "digest", "context"])
@pytest.mark.parametrize("op", STRING_OPS)
def test_dataset_comparison_parses_when_comparator_is_for_strings(key, op):
    assert parse_run_filter(f"datasets.{key} {op} 'train'") == [C("dataset", key, op, "train")]


@pytest.mark.parametrize("key", ["name", "digest", "context"])
@pytest.mark.parametrize("op", ["IN", "NOT IN"])
def test_dataset_list_parses_to_tuple_when_comparator_is_in_or_not_in(key, op):
    assert parse_run_filter(f"datasets.{key} {op} ('train', 'eval')") == [
        C("dataset", key, op, ("train", "eval"))
    ]


@pytest.mark.parametrize("text, comparator", [
    ("params.k like 'a%'", "LIKE"),
    ("params.k Like 'a%'", "LIKE"),
    ("params.k ilike 'a%'", "ILIKE"),
    ("params.k iLike 'a%'", "ILIKE"),
    ("params.k is null", "IS NULL"),
    ("params.k Is Null", "IS NULL"),
    ("params.k is not null", "IS NOT NULL"),
    ("params.k IS  NOT\tNULL", "IS NOT NULL"),
    ("attributes.run_id in ('a')", "IN"),
    ("attributes.run_id not in ('a')", "NOT IN"),
    ("attributes.run_id Not In ('a')", "NOT IN"),
])
def test_keyword_comparator_is_upper_cased_when_written_in_any_case(text, comparator):
    [comparison] = parse_run_filter(text)
    assert comparison.comparator == comparator


@pytest.mark.parametrize("joiner", ["AND", "and", "And", "aNd"])
def test_clauses_come_back_in_order_when_joined_by_and_in_any_case(joiner):
    text = f"metrics.acc > 0.9 {joiner} params.lr = '0.1' {joiner} tags.team IS NULL"
    assert parse_run_filter(text) == [
        C("metric", "acc", ">", 0.9),
        C("param", "lr", "=", "0.1"),
        C("tag", "team", "IS NULL", None),
    ]


def test_same_key_may_appear_twice_when_bounding_a_range():
    assert parse_run_filter("metrics.acc >= 0.5 AND metrics.acc < 0.9") == [
        C("metric", "acc", ">=", 0.5), C("metric", "acc", "<", 0.9),
    ]


@pytest.mark.parametrize("text", [
    "metrics.acc>0.9", "  metrics.acc   >   0.9  ", "metrics.acc\t>\n0.9", "\nmetrics.acc > 0.9\n",
])
def test_whitespace_is_insignificant_when_around_tokens(text):
    assert parse_run_filter(text) == [C("metric", "acc", ">", 0.9)]


@pytest.mark.parametrize("text", [None, "", " ", "\t\n  "])
def test_no_comparisons_when_filter_is_empty_or_blank(text):
    assert parse_run_filter(text) == []


@pytest.mark.parametrize("text, key", [
    ("metrics.`my metric` > 1", "my metric"),
    ("metrics.`val.loss` > 1", "val.loss"),
    ("metrics.`val-loss` > 1", "val-loss"),
    ("metrics.`a b.c-d/e:f` > 1", "a b.c-d/e:f"),
    ("metrics.`AND` > 1", "AND"),
    ("metrics.`é` > 1", "é"),
    ('metrics."my metric" > 1', "my metric"),
    ('metrics."val.loss" > 1', "val.loss"),
    ('metrics."val-loss" > 1', "val-loss"),
    ("metrics.val.loss > 1", "val.loss"),
    ("metrics.a.b.c > 1", "a.b.c"),
    ("metrics.précision > 1", "précision"),
    ("metrics.IN > 1", "IN"),
    ("metrics.loss_2 > 1", "loss_2"),
])
def test_key_is_unquoted_when_backticked_double_quoted_or_dotted(text, key):
    assert parse_run_filter(text) == [C("metric", key, ">", 1.0)]


def test_dotted_tag_key_is_kept_whole_when_unquoted():
    assert parse_run_filter("tags.mlflow.source.git.commit = 'abc'") == [
        C("tag", "mlflow.source.git.commit", "=", "abc")
    ]


def test_key_alias_is_not_applied_when_entity_is_not_attribute():
    assert parse_run_filter("params.created = '1'") == [C("param", "created", "=", "1")]


@pytest.mark.parametrize("text, expected", [
    ("attributes.created > 5", C("attribute", "start_time", ">", 5)),
    ("attributes.Created <= 5", C("attribute", "start_time", "<=", 5)),
    ("attributes.`created` = 5", C("attribute", "start_time", "=", 5)),
    ("attributes.`run name` = 'r'", C("attribute", "run_name", "=", "r")),
    ("attributes.`Run name` != 'r'", C("attribute", "run_name", "!=", "r")),
    ("attributes.`Run Name` LIKE 'r%'", C("attribute", "run_name", "LIKE", "r%")),
    ('attributes."run name" ILIKE \'r%\'', C("attribute", "run_name", "ILIKE", "r%")),
])
def test_attribute_alias_maps_to_column_when_mlflow_defines_it(text, expected):
    assert parse_run_filter(text) == [expected]


@pytest.mark.parametrize("literal, value", [
    ("'abc'", "abc"),
    ('"abc"', "abc"),
    ("''", ""),
    ('""', ""),
    ("'a b  c'", "a b  c"),
    ("'it\\'s'", "it's"),
    ("'it''s'", "it's"),
    ('"say \\"hi\\""', 'say "hi"'),
    ('"it\'s"', "it's"),
    ("'say \"hi\"'", 'say "hi"'),
    ("'café ✓'", "café ✓"),
    ("'AND'", "AND"),
    ("'1.5'", "1.5"),
    ("'%_x'", "%_x"),
    ("'line\nbreak'", "line\nbreak"),
])
def test_string_value_is_unquoted_when_single_or_double_quoted(literal, value):
    assert parse_run_filter(f"params.p = {literal}") == [C("param", "p", "=", value)]


# Integer literals within int64 stay ints (as MLflow's Integer tokens do: times must be
# integers); anything with a point or an exponent, or beyond int64, is a float.
@pytest.mark.parametrize("literal, value", [
    ("0", 0), ("42", 42), ("-3", -3), ("-0", 0), ("007", 7), ("123456789012", 123456789012),
    ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)),
    ("0.5", 0.5), ("-0.25", -0.25), (".5", 0.5), ("-.5", -0.5), ("2.", 2.0), ("1e3", 1000.0),
    ("1E3", 1000.0), ("2.5e-3", 0.0025), ("-1.5E2", -150.0), ("1e400", float("inf")),
])
def test_number_parses_to_int_or_float_when_int_float_negative_or_exponent(literal, value):
    [comparison] = parse_run_filter(f"metrics.m >= {literal}")
    assert type(comparison.value) is type(value)
    assert comparison.value == value


# Beyond int64 the literal is a double, as MLflow compares metrics; a bigger Python int used to
# reach SQLite unbindable (OverflowError -> 500 from /runs/search).
@pytest.mark.parametrize("literal", [
    "9223372036854775808", "-9223372036854775809", "100000000000000000000", "1" + "0" * 400,
])
def test_metric_value_is_a_double_when_integer_literal_is_outside_int64(literal):
    [comparison] = parse_run_filter(f"metrics.m > {literal}")
    assert comparison.value == float(literal)
    assert type(comparison.value) is float
