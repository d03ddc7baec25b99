"""Property tests: any text parses or raises InvalidParameter; valid filters parse exactly."""
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlexp.errors import InvalidParameter
from mlexp.search.filter import Comparison, parse_experiment_filter, parse_run_filter

FUZZ = settings(max_examples=300, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])
VALID = settings(max_examples=120, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])

# Grammar fragments make the fuzzer reach deep into the parser, not just the tokenizer.
FRAGMENTS = st.sampled_from([
    "metrics", "params", "tags", "attributes", "datasets", "name", "run_id", "start_time",
    "created", "creation_time", ".", "`", "'", '"', "\\", " ", "=", "!=", "<>", ">", "<=",
    "IN", "NOT", "IS", "NULL", "LIKE", "ILIKE", "AND", "OR", "(", ")", ",", "1", "-1.5e3",
    ".5", "x", "é", "\n", "experiment_id", "status", "+", "1e+3", "日本", "-", ":", "/",
])
FILTER_TEXT = st.one_of(
    st.text(),
    st.lists(FRAGMENTS, max_size=12).map("".join),
    st.lists(FRAGMENTS, max_size=12).map(" ".join),
)


@pytest.mark.parametrize("parse", [parse_run_filter, parse_experiment_filter])
@FUZZ
@given(text=FILTER_TEXT)
def test_parser_returns_comparisons_or_raises_invalid_parameter_when_given_any_text(parse, text):
    try:
        result = parse(text)
    except InvalidParameter as exc:
        assert exc.message
        return
    assert isinstance(result, list)
    assert all(isinstance(c, Comparison) for c in result)


# --- generated valid filters -----------------------------------------------------------------

# Bare keys are \w words (any Unicode letter) joined by dots; '-', ':' and '/' need quotes.
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_éñßжλ日本"
_SEGMENT = st.builds(str.__add__, st.sampled_from(_LETTERS),
                     st.text(_LETTERS + "0123456789", max_size=8))
BARE_KEY = st.lists(_SEGMENT, min_size=1, max_size=3).map(".".join)
BACKTICK_TEXT = st.text(st.characters(blacklist_characters="`", blacklist_categories=["Cs"]),
                        min_size=1, max_size=12)
DQ_KEY_TEXT = st.text(st.characters(blacklist_characters='"\\', blacklist_categories=["Cs"]),
                      min_size=1, max_size=12)
SQ_KEY_TEXT = st.text(st.characters(blacklist_characters="'\\", blacklist_categories=["Cs"]),
                      min_size=1, max_size=12)


@st.composite
def keys(draw):
    """(how the key is written, the key it means)."""
    style = draw(st.sampled_from(["bare", "backtick", "double", "single"]))
    if style == "bare":
        key = draw(BARE_KEY)
        return key, key
    if style == "backtick":
        key = draw(BACKTICK_TEXT)
        return f"`{key}`", key
    if style == "double":
        key = draw(DQ_KEY_TEXT)
        return f'"{key}"', key
    key = draw(SQ_KEY_TEXT)
    return f"'{key}'", key


# A backslash is kept as written unless it escapes the quote; one that would sit right before a
# quote, another backslash or the closing quote is followed by an 'x' so the value stays exact.
VALUE_TEXT = st.text(st.one_of(st.characters(blacklist_categories=["Cs"]), st.just("\\")),
                     max_size=15).map(lambda v: re.sub(r"\\(?=[\\'\"]|$)", r"\\x", v))


@st.composite
def string_literals(draw):
    """(quoted literal, the value it means): quotes escaped by doubling or a backslash."""
    value = draw(VALUE_TEXT)
    quote = draw(st.sampled_from(["'", '"']))
    if quote == "'":
        escape = draw(st.sampled_from(["''", "\\'"]))
        return "'" + value.replace("'", escape) + "'", value
    return '"' + value.replace('"', '\\"') + '"', value


def _number(text: str):
    """The value a numeric literal means: integer literals within int64 stay ints."""
    if re.fullmatch(r"-?\d+", text) and -2**63 <= int(text) < 2**63:
        return int(text)
    return float(text)


NUMBER_TEXT = st.one_of(
    st.integers(-2**63, 2**63 - 1).map(str),
    st.integers(-2**80, 2**80).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: repr(f).replace("e+", "e")),
)


@st.composite
def run_clauses(draw):
    """(clause text, the Comparison it must parse to), over MLflow's run grammar."""
    kind = draw(st.sampled_from(["metric", "param", "tag", "string_attr", "time_attr",
                                 "run_id_list", "dataset", "null_check"]))
    op_case = draw(st.sampled_from([str.upper, str.lower]))
    if kind == "metric":
        alias = draw(st.sampled_from(["metric", "metrics"]))
        written, key = draw(keys())
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
        number = draw(NUMBER_TEXT)
        return f"{alias}.{written} {op} {number}", Comparison("metric", key, op, _number(number))
    if kind in ("param", "tag"):
        alias = draw(st.sampled_from({"param": ["param", "params", "parameter", "parameters"],
                                      "tag": ["tag", "tags"]}[kind]))
        written, key = draw(keys())
        op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"]))
        if op in ("IN", "NOT IN"):  # mlexp's deliberate superset of MLflow
            items = draw(st.lists(string_literals(), min_size=1, max_size=3))
            listing = "(" + ", ".join(lit for lit, _ in items) + ")"
            return (f"{alias}.{written} {op_case(op)} {listing}",
                    Comparison(kind, key, op, tuple(v for _, v in items)))
        literal, value = draw(string_literals())
        return f"{alias}.{written} {op_case(op)} {literal}", Comparison(kind, key, op, value)
    if kind == "null_check":
        entity = draw(st.sampled_from(["param", "tag"]))
        written, key = draw(keys())
        op = draw(st.sampled_from(["IS NULL", "IS NOT NULL"]))
        return f"{entity}s.{written} {op_case(op)}", Comparison(entity, key, op, None)
    # Attributes may be written bare, as MLflow allows.
    attr = draw(st.sampled_from(["attribute.", "attributes.", "attr.", "run.", ""]))
    if kind == "string_attr":
        written, key = draw(st.sampled_from([
            ("run_id", "run_id"), ("run_name", "run_name"), ("status", "status"),
            ("user_id", "user_id"), ("artifact_uri", "artifact_uri"),
            ("`run name`", "run_name"), ("`Run Name`", "run_name"), ('"Run name"', "run_name"),
            ("'status'", "status"),
        ]))
        if attr == "" and written.startswith("'"):
            attr = "attributes."  # a single-quoted bare identifier is a string, not a key
        op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE"]))
        literal, value = draw(string_literals())
        return f"{attr}{written} {op_case(op)} {literal}", Comparison("attribute", key, op, value)
    if kind == "time_attr":
        written, key = draw(st.sampled_from([("start_time", "start_time"), ("end_time", "end_time"),
                                             ("created", "start_time"), ("Created", "start_time")]))
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
        ms = draw(st.integers(-2**63, 2**63 - 1))
        return f"{attr}{written} {op} {ms}", Comparison("attribute", key, op, ms)
    items = draw(st.lists(string_literals(), min_size=1, max_size=4))
    op = draw(st.sampled_from(["IN", "NOT IN"]))
    listing = "(" + ", ".join(lit for lit, _ in items) + ")"
    values = tuple(v for _, v in items)
    if kind == "run_id_list":
        expected = Comparison("attribute", "run_id", op, values)
        return f"{attr}run_id {op_case(op)} {listing}", expected
    field = draw(st.sampled_from(["name", "digest", "context"]))
    dataset = draw(st.sampled_from(["dataset", "datasets"]))
    return f"{dataset}.{field} {op_case(op)} {listing}", Comparison("dataset", field, op, values)


@st.composite
def experiment_clauses(draw):
    kind = draw(st.sampled_from(["name", "time", "experiment_id", "tag", "tag_null"]))
    if kind == "name":
        written = draw(st.sampled_from(["name", "`name`", '"name"', "attribute.name",
                                        "attribute.`name`", "attribute.'name'"]))
        op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE"]))
        literal, value = draw(string_literals())
        return f"{written} {op} {literal}", Comparison("attribute", "name", op, value)
    if kind == "time":
        key = draw(st.sampled_from(["creation_time", "last_update_time"]))
        op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<="]))
        ms = draw(st.integers(-2**63, 2**63 - 1))
        return f"{key} {op} {ms}", Comparison("attribute", key, op, ms)
    if kind == "experiment_id":
        written = draw(st.sampled_from(["experiment_id", "`experiment_id`", "attribute.experiment_id"]))
        op = draw(st.sampled_from(["=", "!=", "IN", "NOT IN"]))
        ids = draw(st.lists(st.integers(0, 2**63 - 1).map(str), min_size=1, max_size=3))
        quoted = [draw(st.sampled_from(["'{}'", '"{}"'])).format(i) for i in ids]
        if op in ("IN", "NOT IN"):
            text = f"{written} {op} ({', '.join(quoted)})"
            return text, Comparison("attribute", "experiment_id", op, tuple(ids))
        return f"{written} {op} {quoted[0]}", Comparison("attribute", "experiment_id", op, ids[0])
    written, key = draw(keys())
    entity = draw(st.sampled_from(["tag", "tags"]))
    if kind == "tag_null":
        op = draw(st.sampled_from(["IS NULL", "IS NOT NULL"]))
        return f"{entity}.{written} {op}", Comparison("tag", key, op, None)
    op = draw(st.sampled_from(["=", "!=", "LIKE", "ILIKE"]))
    literal, value = draw(string_literals())
    return f"{entity}.{written} {op} {literal}", Comparison("tag", key, op, value)


def _joined(clauses, draw):
    text = ""
    for i, (clause, _) in enumerate(clauses):
        if i:
            text += draw(st.sampled_from([" AND ", " and ", "\nAnd\t", "  aNd  "]))
        text += clause
    return text


@VALID
@given(data=st.data())
def test_generated_run_filter_parses_to_its_comparisons_when_valid(data):
    clauses = data.draw(st.lists(run_clauses(), min_size=1, max_size=4))
    text = _joined(clauses, data.draw)
    assert parse_run_filter(text) == [expected for _, expected in clauses]


@VALID
@given(data=st.data())
def test_generated_experiment_filter_parses_to_its_comparisons_when_valid(data):
    clauses = data.draw(st.lists(experiment_clauses(), min_size=1, max_size=4))
    text = _joined(clauses, data.draw)
    assert parse_experiment_filter(text) == [expected for _, expected in clauses]
