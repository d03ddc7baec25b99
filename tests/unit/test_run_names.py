"""Generated run names look like MLflow's: adjective-noun-number."""
import re

import pytest

from mlexp import run_names
from mlexp.run_names import generate_run_name

NAME = re.compile(r"(?P<adjective>[a-z]+)-(?P<noun>[a-z]+)-(?P<number>0|[1-9]\d{0,2})")


@pytest.mark.parametrize("attempt", range(5))
def test_run_name_is_adjective_noun_number_when_generated(attempt):
    name = generate_run_name()
    match = NAME.fullmatch(name)
    assert match, name
    assert match["adjective"] in run_names._ADJECTIVES
    assert match["noun"] in run_names._NOUNS
    assert 0 <= int(match["number"]) <= 999


def test_run_names_vary_when_generated_repeatedly():
    generated = [generate_run_name() for _ in range(300)]
    assert all(NAME.fullmatch(n) for n in generated)
    assert len(set(generated)) > 250
    assert len({n.split("-")[0] for n in generated}) > 10
    assert len({n.split("-")[1] for n in generated}) > 10


def test_run_name_fits_mlflow_run_name_limit_when_generated():
    longest = max(map(len, run_names._ADJECTIVES)) + max(map(len, run_names._NOUNS)) + len("-999") + 1
    assert longest <= 250
    assert all(len(generate_run_name()) <= longest for _ in range(100))
