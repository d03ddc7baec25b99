"""Where the grammar used to disagree with MLflow's reference parser (mlflow/utils/search_utils.py
and the comparator checks in mlflow/store/tracking/sqlalchemy_store.py), and now follows it.

"Accepts" cases keep real clients working; "rejects" cases keep filters out that a real MLflow
server refuses, so clients written against mlexp keep working when pointed at MLflow. The one
deliberate superset (IN / NOT IN lists on params and tags) is pinned here too, and the last
section holds the differences found last, now fixed.
"""
import pytest

from mlexp.errors import InvalidParameter
from mlexp.search.filter import Comparison as C
from mlexp.search.filter import parse_experiment_filter, parse_run_filter
from mlexp.search.order_by import OrderKey, parse_experiment_order_by, parse_run_order_by


# --- accepted, as MLflow accepts them --------------------------------------------------------

# SearchExperimentsUtils.VALID_SEARCH_ATTRIBUTE_KEYS includes experiment_id, with IN / NOT IN.
@pytest.mark.parametrize("text, expected", [
    ("experiment_id = '1'", C("attribute", "experiment_id", "=", "1")),
    ("experiment_id != '0'", C("attribute", "experiment_id", "!=", "0")),
    ("experiment_id IN ('1', '2')", C("attribute", "experiment_id", "IN", ("1", "2"))),
    ("experiment_id NOT IN ('3')", C("attribute", "experiment_id", "NOT IN", ("3",))),
    ("attribute.experiment_id = '7'", C("attribute", "experiment_id", "=", "7")),
    ("`experiment_id` IN ('4')", C("attribute", "experiment_id", "IN", ("4",))),
])
def test_experiment_filter_parses_experiment_id_when_compared_or_listed(text, expected):
    assert parse_experiment_filter(text) == [expected]


# SearchUtils._get_identifier treats an identifier without a dot as an attribute, for runs too.
@pytest.mark.parametrize("text, expected", [
    ("status = 'FINISHED'", [C("attribute", "status", "=", "FINISHED")]),
    ("start_time > 0", [C("attribute", "start_time", ">", 0)]),
    ("end_time <= 1700000000000", [C("attribute", "end_time", "<=", 1700000000000)]),
    ("created >= 5", [C("attribute", "start_time", ">=", 5)]),
    ("Created < 5", [C("attribute", "start_time", "<", 5)]),
    ("`run name` = 'r'", [C("attribute", "run_name", "=", "r")]),
    ('"run name" = \'r\'', [C("attribute", "run_name", "=", "r")]),
    ("run_id IN ('a', 'b')", [C("attribute", "run_id", "IN", ("a", "b"))]),
    ("artifact_uri LIKE 'mlflow-artifacts:%'",
     [C("attribute", "artifact_uri", "LIKE", "mlflow-artifacts:%")]),
    ("metrics.acc > 0.5 and user_id = 'me'",
     [C("metric", "acc", ">", 0.5), C("attribute", "user_id", "=", "me")]),
])
def test_run_filter_parses_bare_attribute_when_no_entity_is_written(text, expected):
    assert parse_run_filter(text) == expected


def test_run_filter_rejects_bare_identifier_when_it_is_not_a_run_attribute():
    with pytest.raises(InvalidParameter, match="Invalid attribute key 'acc'"):
        parse_run_filter("acc > 1")


# Keys may hold any Unicode letter (validation allows \w) and MLflow parses them bare.
@pytest.mark.parametrize("text, expected", [
    ("metrics.élan > 1", C("metric", "élan", ">", 1)),
    ("params.ñ = 'x'", C("param", "ñ", "=", "x")),
    ("tags.日本 = 'x'", C("tag", "日本", "=", "x")),
    ("tags.ключ.подключ = 'x'", C("tag", "ключ.подключ", "=", "x")),
])
def test_bare_key_parses_when_it_starts_with_a_non_ascii_letter(text, expected):
    assert parse_run_filter(text) == [expected]


# MLflow strips double quotes from a bare attribute as it does backticks.
@pytest.mark.parametrize("text, expected", [
    ('"name" = \'x\'', C("attribute", "name", "=", "x")),
    ('"creation_time" > 1', C("attribute", "creation_time", ">", 1)),
    ('"experiment_id" = \'3\'', C("attribute", "experiment_id", "=", "3")),
])
def test_experiment_filter_parses_double_quoted_bare_attribute(text, expected):
    assert parse_experiment_filter(text) == [expected]


# SearchUtils._strip_quotes removes single quotes from keys as well.
@pytest.mark.parametrize("text, expected", [
    ("metrics.'my metric' > 1", C("metric", "my metric", ">", 1)),
    ("params.'lr' = '0.1'", C("param", "lr", "=", "0.1")),
    ("tags.'a b' IS NULL", C("tag", "a b", "IS NULL", None)),
    ("attributes.'status' = 'x'", C("attribute", "status", "=", "x")),
    ("datasets.'name' = 'x'", C("dataset", "name", "=", "x")),
])
def test_key_parses_when_single_quoted(text, expected):
    assert parse_run_filter(text) == [expected]


def test_experiment_tag_key_parses_when_single_quoted():
    assert parse_experiment_filter("tags.'a b' = 'v'") == [C("tag", "a b", "=", "v")]


# MLflow keeps the text between the quotes as written, so Windows paths and LIKE escapes survive;
# mlexp only drops the backslash of an escaped quote.
@pytest.mark.parametrize("text, value", [
    ("params.path = 'C:\\data\\new'", "C:\\data\\new"),
    ("params.p LIKE 'a\\_b%'", "a\\_b%"),
    ("params.p LIKE '100\\%'", "100\\%"),
    ("params.p = 'a\\nb'", "a\\nb"),
    ("params.p = 'a\\\\b'", "a\\\\b"),
    ('params.p = "a\\\'b"', "a\\'b"),
    ("params.p = 'it\\'s'", "it's"),
    ('params.p = "say \\"hi\\""', 'say "hi"'),
])
def test_backslash_is_kept_when_it_does_not_escape_a_quote(text, value):
    [comparison] = parse_run_filter(text)
    assert comparison.value == value


def test_backslash_is_kept_in_key_when_quoted():
    assert parse_run_filter("tags.`a\\b` = 'x'") == [C("tag", "a\\b", "=", "x")]


# SearchUtils.parse_order_by_for_search_runs accepts a bare attribute.
@pytest.mark.parametrize("clause, expected", [
    ("start_time DESC", OrderKey("attribute", "start_time", False)),
    ("run_name", OrderKey("attribute", "run_name", True)),
    ("created desc", OrderKey("attribute", "start_time", False)),
    ("`end_time` ASC", OrderKey("attribute", "end_time", True)),
])
def test_run_order_by_parses_bare_attribute_when_no_entity_is_written(clause, expected):
    assert parse_run_order_by([clause]) == [expected]


def test_run_order_by_rejects_bare_identifier_when_it_is_not_a_run_attribute():
    with pytest.raises(InvalidParameter, match="Invalid order_by attribute 'acc'"):
        parse_run_order_by(["acc DESC"])


# --- deliberate superset: IN / NOT IN lists on params and tags -------------------------------
# MLflow's VALID_PARAM_COMPARATORS / VALID_TAG_COMPARATORS have no IN ("Expected a quoted string
# value for parameter"); the product requires them, so mlexp accepts them on purpose.

@pytest.mark.parametrize("text, expected", [
    ("params.p IN ('a')", C("param", "p", "IN", ("a",))),
    ("params.p NOT IN ('a', 'b')", C("param", "p", "NOT IN", ("a", "b"))),
    ("param.`my p` in ('x')", C("param", "my p", "IN", ("x",))),
    ("tags.t IN ('a')", C("tag", "t", "IN", ("a",))),
    ("tags.t NOT IN ('a')", C("tag", "t", "NOT IN", ("a",))),
    ("tag.mlflow.user Not In (\"u1\", 'u2')", C("tag", "mlflow.user", "NOT IN", ("u1", "u2"))),
])
def test_in_comparator_parses_when_entity_is_param_or_tag(text, expected):
    assert parse_run_filter(text) == [expected]


@pytest.mark.parametrize("text", ["params.p IN 'a'", "tags.t IN ()", "params.p IN (1)"])
def test_in_comparator_on_param_or_tag_still_needs_a_list_of_strings(text):
    with pytest.raises(InvalidParameter):
        parse_run_filter(text)


# --- rejected, as MLflow rejects them --------------------------------------------------------

# SearchUtils.LIST_SUPPORTED_KEYS is {'run_id'}: "Only ['run_id'] attributes support comparison
# with a list of quoted string values."
@pytest.mark.parametrize("text", [
    "attributes.status IN ('FINISHED')", "attributes.run_name NOT IN ('a')",
    "attributes.user_id IN ('u')", "attributes.artifact_uri IN ('x')",
    "attributes.`run name` IN ('r')", "status IN ('FINISHED')",
])
def test_in_comparator_is_rejected_when_attribute_is_not_run_id(text):
    with pytest.raises(InvalidParameter, match="only supported for run_id"):
        parse_run_filter(text)


# SearchExperimentsUtils.LIST_SUPPORTED_KEYS is {'experiment_id'}.
@pytest.mark.parametrize("text", ["name IN ('a')", "attribute.name NOT IN ('a', 'b')"])
def test_in_comparator_is_rejected_when_experiment_attribute_is_not_experiment_id(text):
    with pytest.raises(InvalidParameter, match="only supported for experiment_id"):
        parse_experiment_filter(text)


# lifecycle_stage is not among RunInfo.get_searchable_attributes(): "Invalid attribute key".
@pytest.mark.parametrize("text", ["attributes.lifecycle_stage = 'active'",
                                  "lifecycle_stage = 'deleted'"])
def test_lifecycle_stage_is_rejected_when_used_as_a_run_filter_attribute(text):
    with pytest.raises(InvalidParameter, match="Invalid attribute key 'lifecycle_stage'"):
        parse_run_filter(text)


# '<>' is not in any MLflow comparator set: '<' is read as the comparator, '>' as a bad value.
@pytest.mark.parametrize("text, position", [
    ("metrics.m <> 1", 11), ("params.p <> 'a'", 10), ("attributes.status <> 'x'", 19),
])
def test_comparator_is_rejected_when_written_as_sql_not_equal(text, position):
    with pytest.raises(InvalidParameter, match=f"Invalid value '>' at position {position}"):
        parse_run_filter(text)


# MLflow's entity names are case-sensitive.
@pytest.mark.parametrize("text, entity", [
    ("Metrics.m > 1", "Metrics"), ("PARAMS.p = 'a'", "PARAMS"), ("Tags.t = 'a'", "Tags"),
    ("Attributes.status = 'x'", "Attributes"),
])
def test_entity_is_rejected_when_not_written_in_lower_case(text, entity):
    with pytest.raises(InvalidParameter, match=f"Invalid entity type '{entity}'"):
        parse_run_filter(text)


# SearchExperimentsUtils only knows the entity spellings ('attribute', 'tag', 'tags').
@pytest.mark.parametrize("text, entity", [
    ("attributes.name = 'x'", "attributes"), ("attr.name = 'x'", "attr"),
    ("run.name = 'x'", "run"), ("Tags.k = 'v'", "Tags"), ("Attribute.name = 'x'", "Attribute"),
])
def test_experiment_filter_rejects_entity_when_not_spelled_attribute_or_tag(text, entity):
    with pytest.raises(InvalidParameter) as exc:
        parse_experiment_filter(text)
    assert f"Invalid entity type '{entity}'" in exc.value.message
    assert "expected one of: attribute, tag, tags" in exc.value.message


# MLflow's SQL store refuses a float for creation_time / last_update_time.
@pytest.mark.parametrize("text", [
    "creation_time > 1.5", "last_update_time < 1e3", "creation_time = 5.", "creation_time >= .5",
])
def test_experiment_time_is_rejected_when_value_is_not_an_integer(text):
    with pytest.raises(InvalidParameter, match="Expected an integer value for attribute"):
        parse_experiment_filter(text)


@pytest.mark.parametrize("text, value", [
    ("creation_time > 1700000000000", 1700000000000), ("last_update_time <= -1", -1),
])
def test_experiment_time_parses_to_int_when_value_is_an_integer_literal(text, value):
    [comparison] = parse_experiment_filter(text)
    assert comparison.value == value
    assert type(comparison.value) is int


# sqlparse reads '+1' as an operator and '1e+3' as no number.
@pytest.mark.parametrize("text", [
    "metrics.m > +1", "metrics.m > 1e+3", "metrics.m > 1E+3", "attributes.start_time > +5",
])
def test_number_is_rejected_when_written_with_a_plus_sign(text):
    with pytest.raises(InvalidParameter, match="Unexpected character"):
        parse_run_filter(text)


# MLflow needs backticks or double quotes around keys with '-', ':' or '/'.
@pytest.mark.parametrize("text", [
    "metrics.val-loss > 1", "metrics.a:b > 1", "metrics.train/loss > 1", "params.a-b = 'x'",
    "tags.x/y IS NULL",
])
def test_bare_key_is_rejected_when_it_holds_dash_colon_or_slash(text):
    with pytest.raises(InvalidParameter, match="Unexpected character"):
        parse_run_filter(text)


@pytest.mark.parametrize("text, key", [
    ("metrics.`val-loss` > 1", "val-loss"), ('metrics."a:b" > 1', "a:b"),
    ("metrics.'train/loss' > 1", "train/loss"),
])
def test_key_with_dash_colon_or_slash_parses_when_quoted(text, key):
    assert parse_run_filter(text) == [C("metric", key, ">", 1)]


# A direction other than ASC/DESC used to become part of the key, so 'metrics.acc DSC' sorted
# ascending by a metric named 'acc DSC'; MLflow answers 'Invalid ordering key'.
@pytest.mark.parametrize("clause", [
    "metrics.acc UP", "metrics.acc DESC ASC", "params.lr descending", "params.lr DSC",
    "metrics.a b",
])
def test_run_order_by_is_rejected_when_direction_is_not_asc_or_desc(clause):
    with pytest.raises(InvalidParameter, match="Invalid order_by clause"):
        parse_run_order_by([clause])


@pytest.mark.parametrize("clause", ["name UP", "name DESC ASC", "creation_time latest"])
def test_experiment_order_by_is_rejected_when_direction_is_not_asc_or_desc(clause):
    with pytest.raises(InvalidParameter, match="Invalid order_by clause"):
        parse_experiment_order_by([clause])


# order_by entity spellings follow the same rules as filters.
@pytest.mark.parametrize("parse, clause, message", [
    (parse_run_order_by, "Metrics.acc", "Invalid order_by entity 'Metrics'"),
    (parse_run_order_by, "metrics.val-loss", "Invalid order_by clause 'metrics.val-loss'"),
    (parse_experiment_order_by, "attributes.name", "Invalid order_by entity 'attributes'"),
    (parse_experiment_order_by, "attr.name DESC", "Invalid order_by entity 'attr'"),
])
def test_order_by_is_rejected_when_mlflow_does_not_know_the_spelling(parse, clause, message):
    with pytest.raises(InvalidParameter, match=message):
        parse([clause])


# --- differences found late and since fixed -----------------------------------------------

@pytest.mark.parametrize("parse, clause, expected", [
    (parse_run_order_by, "metrics.'lr' ASC", OrderKey("metric", "lr", True)),
    (parse_run_order_by, "params.'my p' DESC", OrderKey("param", "my p", False)),
    (parse_run_order_by, "attributes.'start_time'", OrderKey("attribute", "start_time", True)),
    (parse_experiment_order_by, "attribute.'name' DESC", OrderKey("attribute", "name", False)),
])
def test_order_by_parses_key_when_single_quoted_after_a_prefix(parse, clause, expected):
    assert parse([clause]) == [expected]


@pytest.mark.parametrize("text", [
    "experiment_id = 'x'", "experiment_id != 'abc'", "experiment_id IN ('1', 'x')",
    "experiment_id NOT IN ('')",
])
def test_experiment_id_is_rejected_when_value_is_not_an_integer(text):
    with pytest.raises(InvalidParameter):
        parse_experiment_filter(text)


@pytest.mark.parametrize("text", ["experiment_id = '-1'", "experiment_id IN ('1', '-5', '007')"])
def test_experiment_id_is_accepted_when_value_is_an_integer_no_experiment_has(text):
    """MLflow reads the values with int(): a negative id is an integer that matches nothing."""
    assert parse_experiment_filter(text)[0].key == "experiment_id"


@pytest.mark.parametrize("text", ["experiment_id LIKE '1%'", "experiment_id ILIKE '%2'"])
def test_experiment_id_is_rejected_when_compared_with_like(text):
    with pytest.raises(InvalidParameter):
        parse_experiment_filter(text)
