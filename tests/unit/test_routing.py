"""URL rules compile their builders on first use; the URLs they build must be werkzeug's own."""
import pytest
from werkzeug.routing import BuildError, IntegerConverter, Map, PathConverter, Rule

from mlexp.http.routing import LazyBuilderRule

SAMPLE_VALUES = {IntegerConverter: 7, PathConverter: "dir/sub dir/ä#?.txt"}


def _sample(rule: Rule) -> dict:
    return {name: SAMPLE_VALUES.get(type(converter), "a b/é?&") for name, converter in rule._converters.items()}


def test_every_rule_of_the_app_builds_the_url_an_eager_rule_builds(app):
    lazy_rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert lazy_rules and all(isinstance(rule, LazyBuilderRule) for rule in lazy_rules)
    eager = Map([Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods) for rule in lazy_rules])
    for rule, eager_rule in zip(lazy_rules, eager.iter_rules()):
        values = _sample(rule)
        assert rule.build(values) == eager_rule.build(values), rule.rule
        with_unknown = {**values, "page_token": "x y", "n": 3}
        assert rule.build(with_unknown, append_unknown=False) == eager_rule.build(with_unknown, append_unknown=False)
        assert rule.build(with_unknown) == eager_rule.build(with_unknown), rule.rule
        assert "page_token=x+y" in rule.build(with_unknown)[1]


def test_url_for_builds_and_reports_missing_values_as_before(app):
    from flask import url_for

    with app.test_request_context():
        url = url_for("experiments.show", experiment_id=3, tab="runs")
        assert url == url_for("experiments.show", experiment_id=3, tab="runs")  # compiled once, reused
        assert url.startswith("/experiments/3") and url.endswith("?tab=runs")
        with pytest.raises(BuildError):
            url_for("experiments.show")


def test_a_rule_built_before_compiling_its_other_builder_keeps_both_apart():
    rule_map = Map([LazyBuilderRule("/runs/<int:run_id>", endpoint="run")])
    adapter = rule_map.bind("example.com")
    assert adapter.build("run", {"run_id": 2, "x": 1}, append_unknown=False) == "/runs/2"
    assert adapter.build("run", {"run_id": 2, "x": 1}) == "/runs/2?x=1"
    assert adapter.match("/runs/5") == ("run", {"run_id": 5})
