"""order_by clauses for search_runs and search_experiments: entity, key and direction."""

import pytest

from mlexp.errors import InvalidParameter
from mlexp.search.order_by import OrderKey, parse_experiment_order_by, parse_run_order_by


@pytest.mark.parametrize("clause, expected", [
    ("metrics.acc", OrderKey("metric", "acc", True)),
    ("metrics.acc ASC", OrderKey("metric", "acc", True)),
    ("metrics.acc DESC", OrderKey("metric", "acc", False)),
    ("metrics.acc asc", OrderKey("metric", "acc", True)),
    ("metrics.acc desc", OrderKey("metric", "acc", False)),
    ("metrics.acc Desc", OrderKey("metric", "acc", False)),
    ("metric.acc DESC", OrderKey("metric", "acc", False)),
    ("params.lr", OrderKey("param", "lr", True)),
    ("param.lr DESC", OrderKey("param", "lr", False)),
    ("parameter.lr", OrderKey("param", "lr", True)),
    ("parameters.lr ASC", OrderKey("param", "lr", True)),
    ("tags.team", OrderKey("tag", "team", True)),
    ("tag.team DESC", OrderKey("tag", "team", False)),
])
def test_run_order_by_parses_entity_and_direction_when_clause_is_valid(clause, expected):
    assert parse_run_order_by([clause]) == [expected]


@pytest.mark.parametrize("clause, key", [
    ("metrics.`my metric` DESC", "my metric"),
    ('metrics."my metric" DESC', "my metric"),
    ("metrics.`a.b-c/d:e` DESC", "a.b-c/d:e"),
    ("metrics.val.loss DESC", "val.loss"),
    ("tags.`mlflow.runName` DESC", "mlflow.runName"),
    ("metrics.`desc` DESC", "desc"),
])
def test_run_order_by_unquotes_key_when_backticked_double_quoted_or_dotted(clause, key):
    [order] = parse_run_order_by([clause])
    assert (order.key, order.ascending) == (key, False)


@pytest.mark.parametrize("clause, expected", [
    ("attributes.start_time DESC", OrderKey("attribute", "start_time", False)),
    ("attribute.end_time", OrderKey("attribute", "end_time", True)),
    ("attr.run_name ASC", OrderKey("attribute", "run_name", True)),
    ("run.status", OrderKey("attribute", "status", True)),
    ("attributes.run_id", OrderKey("attribute", "run_id", True)),
    ("attributes.user_id DESC", OrderKey("attribute", "user_id", False)),
    ("attributes.artifact_uri", OrderKey("attribute", "artifact_uri", True)),
    ("attributes.created DESC", OrderKey("attribute", "start_time", False)),
    ("attributes.Created", OrderKey("attribute", "start_time", True)),
    ("attributes.`start_time` DESC", OrderKey("attribute", "start_time", False)),
])
def test_run_order_by_maps_attribute_to_column_when_mlflow_orders_on_it(clause, expected):
    assert parse_run_order_by([clause]) == [expected]


@pytest.mark.parametrize("clause", [
    "  metrics.acc   DESC  ", "metrics.acc\tDESC", "\nmetrics.acc DESC\n",
])
def test_run_order_by_ignores_surrounding_whitespace_when_parsing(clause):
    assert parse_run_order_by([clause]) == [OrderKey("metric", "acc", False)]


def test_run_order_by_keeps_clause_order_when_given_several():
    assert parse_run_order_by(["metrics.acc DESC", "params.lr", "attributes.start_time ASC"]) == [
        OrderKey("metric", "acc", False),
        OrderKey("param", "lr", True),
        OrderKey("attribute", "start_time", True),
    ]


@pytest.mark.parametrize("clauses", [None, []])
def test_order_by_is_empty_when_no_clauses_are_given(clauses):
    assert parse_run_order_by(clauses) == []
    assert parse_experiment_order_by(clauses) == []


@pytest.mark.parametrize("clause, message", [
    ("attributes.bogus", "Invalid order_by attribute 'bogus'"),
    ("attributes.lifecycle_stage", "Invalid order_by attribute 'lifecycle_stage'"),
    ("attributes.`run name`", "Invalid order_by attribute 'run name'"),
    ("attributes.name", "Invalid order_by attribute 'name'"),
    ("foo.bar", "Invalid order_by entity 'foo'"),
    ("datasets.name", "Invalid order_by entity 'datasets'"),
    ("Metrics.acc", "Invalid order_by entity 'Metrics'"),
    ("", "Invalid order_by clause ''"),
    ("   ", "Invalid order_by clause '   '"),
    ("metrics.`acc DESC", "Invalid order_by clause 'metrics.`acc DESC'"),
    ("metrics.acc, params.lr", "Invalid order_by clause 'metrics.acc, params.lr'"),
    ("metrics.acc DESC;", "Invalid order_by clause 'metrics.acc DESC;'"),
    ("metrics.acc DSC", "the direction must be ASC or DESC, not 'DSC'"),
    ("metrics.my metric", "the direction must be ASC or DESC, not 'metric'"),
    ("metrics.my metric DESC", "Invalid order_by clause 'metrics.my metric DESC'"),
    ("metrics.val-loss", "Invalid order_by clause 'metrics.val-loss'"),
    ("metrics.+acc", "Invalid order_by clause 'metrics.+acc'"),
])
def test_run_order_by_is_rejected_when_clause_is_unknown_or_malformed(clause, message):
    with pytest.raises(InvalidParameter) as exc:
        parse_run_order_by([clause])
    assert message in exc.value.message


# MLflow reads 'metrics.' as the metric named ''; no such metric can be logged, so mlexp refuses
# the clause (it reads the whole text as an attribute name).
@pytest.mark.parametrize("clause", ["metrics.", "tags. DESC", "params.\tASC"])
def test_run_order_by_is_rejected_when_key_is_missing_after_the_entity(clause):
    with pytest.raises(InvalidParameter) as exc:
        parse_run_order_by([clause])
    assert f"{clause.split()[0]!r}" in exc.value.message


def test_run_order_by_lists_known_attributes_when_attribute_is_unknown():
    with pytest.raises(InvalidParameter) as exc:
        parse_run_order_by(["attributes.bogus"])
    assert ("artifact_uri, end_time, run_id, run_name, start_time, status, user_id"
            in exc.value.message)


@pytest.mark.parametrize("clause", [None, 5, ["metrics.acc"]])
def test_order_by_is_rejected_when_clause_is_not_a_string(clause):
    with pytest.raises(InvalidParameter, match="expected a string"):
        parse_run_order_by([clause])
    with pytest.raises(InvalidParameter, match="expected a string"):
        parse_experiment_order_by([clause])


@pytest.mark.parametrize("clause, expected", [
    ("name", OrderKey("attribute", "name", True)),
    ("name DESC", OrderKey("attribute", "name", False)),
    ("name asc", OrderKey("attribute", "name", True)),
    ("experiment_id", OrderKey("attribute", "experiment_id", True)),
    ("creation_time DESC", OrderKey("attribute", "creation_time", False)),
    ("last_update_time ASC", OrderKey("attribute", "last_update_time", True)),
    ("attribute.name DESC", OrderKey("attribute", "name", False)),
    ("attribute.experiment_id desc", OrderKey("attribute", "experiment_id", False)),
    ("`name` DESC", OrderKey("attribute", "name", False)),
    ('"last_update_time"', OrderKey("attribute", "last_update_time", True)),
    ('attribute."creation_time" ASC', OrderKey("attribute", "creation_time", True)),
])
def test_experiment_order_by_parses_bare_or_prefixed_attribute(clause, expected):
    assert parse_experiment_order_by([clause]) == [expected]


@pytest.mark.parametrize("clause, message", [
    ("tags.owner", "Invalid order_by entity 'tags'; expected one of: attribute"),
    ("metrics.acc", "Invalid order_by entity 'metrics'"),
    ("attributes.name", "Invalid order_by entity 'attributes'; expected one of: attribute"),
    ("Attribute.name", "Invalid order_by entity 'Attribute'"),
    ("bogus", "Invalid order_by attribute 'bogus'"),
    ("start_time DESC", "Invalid order_by attribute 'start_time'"),
    ("Name", "Invalid order_by attribute 'Name'"),
])
def test_experiment_order_by_is_rejected_when_entity_or_attribute_is_unknown(clause, message):
    with pytest.raises(InvalidParameter) as exc:
        parse_experiment_order_by([clause])
    assert message in exc.value.message


# The clause regex used to backtrack quadratically on a long run of spaces that ends badly
# (3,000 spaces took ~0.5 s, 20,000 ~35 s); possessive quantifiers keep it linear. These cases
# assert the outcome only: a regression shows up as a suite that hangs, not as a timing assert.
@pytest.mark.parametrize("clause", [
    "metrics." + " " * 20_000 + "!",
    "metrics.a" + " " * 20_000 + "x!",
    "metrics." + "a" * 20_000 + "!",
    "metrics." + "a." * 10_000 + " DESC!",
    "metrics.`" + "a" * 20_000,
    '"' + "a" * 20_000,
    "a" * 20_000 + "." + "b" * 20_000 + " " * 20_000 + "DESC" * 5_000,
])
def test_run_order_by_is_rejected_when_clause_is_long_and_malformed(clause):
    with pytest.raises(InvalidParameter):
        parse_run_order_by([clause])


def test_run_order_by_is_rejected_when_it_has_more_clauses_than_the_limit():
    assert len(parse_run_order_by([f"metrics.k{i}" for i in range(20)])) == 20
    with pytest.raises(InvalidParameter, match="order_by has 21 clauses; at most 20"):
        parse_run_order_by([f"metrics.k{i}" for i in range(21)])
