"""MLflow's limits on keys, values, names, ids and LogBatch sizes."""
import pytest

from mlexp.errors import InvalidParameter
from mlexp.validation import (
    MAX_ID,
    PAGE_SIZES,
    duplicate_keys,
    page_size,
    parse_experiment_id,
    parse_id,
    validate_batch_sizes,
    validate_dataset_inputs,
    validate_experiment_name,
    validate_experiment_tag,
    validate_key,
    validate_param,
    validate_run_name,
    validate_tag,
)


@pytest.mark.parametrize("key", [
    "acc", "a.b", "a-b", "a_b", "a b", "a:b", "a/b", "train/loss", "val.loss/epoch-1",
    "précision", "日本", "1", "x" * 250, ".a", "a..b", "a.", "a ",
])
def test_key_is_accepted_when_it_uses_mlflow_characters(key):
    assert validate_key("metric", key) is None


@pytest.mark.parametrize("key", [
    "a@b", "a\\b", "a,b", "a;b", "a\tb", "a\nb", "a=b", "a*b", "a'b", 'a"b', "a`b", "a?b", "€",
])
def test_key_is_rejected_when_it_holds_a_character_mlflow_forbids(key):
    with pytest.raises(InvalidParameter) as exc:
        validate_key("metric", key)
    assert exc.value.message.startswith(f"Invalid metric key {key!r}: names may only contain")


@pytest.mark.parametrize("key, resolves_to", [
    ("../x", "../x"),
    ("..", ".."),
    ("..a", "..a"),
    ("a/../b", "b"),
    ("a/../../b", "../b"),
    ("a//b", "a/b"),
    ("/abs", "/abs"),
    ("//abs", "//abs"),
    (".", "."),
    ("./a", "a"),
    ("a/./b", "a/b"),
    ("a/", "a"),
])
def test_key_is_rejected_when_it_resolves_to_another_path(key, resolves_to):
    with pytest.raises(InvalidParameter) as exc:
        validate_key("param", key)
    assert f"Invalid param key {key!r}" in exc.value.message
    assert f"resolves to {resolves_to!r}" in exc.value.message


def test_key_is_rejected_when_empty():
    with pytest.raises(InvalidParameter, match="Missing tag key"):
        validate_key("tag", "")


def test_key_is_accepted_when_exactly_at_the_length_limit():
    assert validate_key("metric", "k" * 250) is None


def test_key_is_rejected_when_one_over_the_length_limit():
    with pytest.raises(InvalidParameter) as exc:
        validate_key("metric", "k" * 251)
    assert "Metric key 'kkkk" in exc.value.message
    assert "has length 251, which exceeds the limit of 250" in exc.value.message


@pytest.mark.parametrize("validate, kind, limit", [
    (validate_param, "Param", 6000),
    (validate_tag, "Tag", 8000),
    (validate_experiment_tag, "Experiment tag", 20000),
])
def test_value_is_accepted_up_to_its_limit_and_rejected_beyond(validate, kind, limit):
    assert validate("k", "v" * limit) is None
    assert validate("k", "") is None
    with pytest.raises(InvalidParameter) as exc:
        validate("k", "v" * (limit + 1))
    assert exc.value.message == (
        f"{kind} value for key 'k' has length {limit + 1}, which exceeds the limit of {limit}"
    )


@pytest.mark.parametrize("validate, kind", [
    (validate_param, "param"), (validate_tag, "tag"), (validate_experiment_tag, "experiment tag"),
])
def test_key_is_checked_before_value_when_both_are_bad(validate, kind):
    with pytest.raises(InvalidParameter, match=f"Invalid {kind} key '../x'"):
        validate("../x", "v" * 100_000)


# MLflow rejects only "" and None, so whitespace-only names are accepted as well.
@pytest.mark.parametrize("name", ["Default", "my experiment", "/Users/me/exp", "x" * 500, "é",
                                  " ", "\t\n", " " * 500])
def test_experiment_name_is_accepted_when_non_empty_and_short_enough(name):
    assert validate_experiment_name(name) is None


@pytest.mark.parametrize("name", ["", None])
def test_experiment_name_is_rejected_when_empty(name):
    with pytest.raises(InvalidParameter, match="it must be a non-empty string"):
        validate_experiment_name(name)


@pytest.mark.parametrize("name", ["x" * 501, " " * 501])
def test_experiment_name_is_rejected_when_over_500_characters(name):
    with pytest.raises(InvalidParameter, match="has length 501, which exceeds the limit of 500"):
        validate_experiment_name(name)


def test_run_name_is_accepted_up_to_250_characters_and_rejected_beyond():
    assert validate_run_name("r" * 250) is None
    assert validate_run_name("") is None
    with pytest.raises(InvalidParameter, match="has length 251, which exceeds the limit of 250"):
        validate_run_name("r" * 251)


@pytest.mark.parametrize("metrics, params, tags", [
    (0, 0, 0), (1000, 0, 0), (0, 100, 0), (0, 0, 100), (800, 100, 100), (900, 100, 0),
])
def test_batch_is_accepted_when_within_every_limit(metrics, params, tags):
    assert validate_batch_sizes(metrics, params, tags) is None


@pytest.mark.parametrize("metrics, params, tags, message", [
    (1001, 0, 0, "at most 1000 metrics; got 1001"),
    (0, 101, 0, "at most 100 params; got 101"),
    (0, 0, 101, "at most 100 tags; got 101"),
    (801, 100, 100, "at most 1000 metrics, params and tags in total; got 1001"),
    (1000, 100, 100, "at most 1000 metrics, params and tags in total; got 1200"),
    (1001, 101, 101, "at most 1000 metrics; got 1001"),
])
def test_batch_is_rejected_naming_the_limit_when_one_is_exceeded(metrics, params, tags, message):
    with pytest.raises(InvalidParameter) as exc:
        validate_batch_sizes(metrics, params, tags)
    assert exc.value.message == f"A batch logging request can contain {message}"


@pytest.mark.parametrize("keys, expected", [
    ([], []),
    (["a", "b", "c"], []),
    (["a", "a"], ["a"]),
    (["a", "b", "a", "c", "b", "a"], ["a", "b"]),
    (["b", "a", "a", "b"], ["a", "b"]),
    (["A", "a"], []),
])
def test_duplicate_keys_lists_each_repeat_once_in_order_of_first_repeat(keys, expected):
    assert duplicate_keys(keys) == expected


@pytest.mark.parametrize("value, expected", [
    ("0", 0), ("1", 1), ("01", 1), ("0" * 50 + "7", 7), (str(MAX_ID), MAX_ID), (5, 5), (MAX_ID, MAX_ID),
])
def test_id_is_read_when_a_row_can_have_it(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize("value", [
    str(MAX_ID + 1), "987654321098", "9" * 20, "9" * 5000, "-1", "+1", " 1", "1.0", "1e3", "abc", "",
    "\u0661", "\uff11", -1, MAX_ID + 1, 2**70, True, None, 1.0, [1],
])
def test_id_names_no_row_when_not_decimal_or_out_of_range(value):
    assert parse_id(value) is None


@pytest.mark.parametrize("value, expected", [
    ("0", 0), ("007", 7), (str(MAX_ID), MAX_ID), (3, 3),
    ("-1", None), (str(MAX_ID + 1), None), ("9" * 5000, None), (-1, None),
])
def test_experiment_id_is_read_or_names_none_when_it_is_an_integer(value, expected):
    assert parse_experiment_id(value) == expected


@pytest.mark.parametrize("value", [
    "abc", "", " 1", "+1", "1.0", "1e3", "0x1", "1_0", "\u0661", "-", True, None, 1.0,
])
def test_experiment_id_is_rejected_when_it_is_not_an_integer(value):
    with pytest.raises(InvalidParameter) as exc:
        parse_experiment_id(value)
    assert exc.value.message == f"Invalid experiment ID {value!r}: it must be an integer"


def dataset_input(tags=(), **fields) -> dict:
    dataset = {"name": "wine", "digest": "d" * 36, "source_type": "local", "source": "{}", **fields}
    return {"tags": [{"key": k, "value": v} for k, v in tags], "dataset": dataset}


def test_datasets_are_accepted_when_every_field_and_tag_is_within_mlflow_columns():
    item = dataset_input(tags=[("k" * 255, "v" * 500)], name="n" * 500, source="s" * 65535,
                         schema="x" * 1048575, profile=None)
    assert validate_dataset_inputs([item] * 1000) is None


@pytest.mark.parametrize("fields, expected", [
    ({"name": "n" * 501}, "Dataset name has length 501, which exceeds the limit of 500"),
    ({"digest": "d" * 37}, "Dataset digest has length 37, which exceeds the limit of 36"),
    ({"source_type": "t" * 37}, "Dataset source_type has length 37, which exceeds the limit of 36"),
    ({"source": "s" * 65536}, "Dataset source has length 65536, which exceeds the limit of 65535"),
    ({"schema": "x" * 1048576}, "Dataset schema has length 1048576, which exceeds the limit of 1048575"),
])
def test_dataset_is_rejected_when_a_field_is_longer_than_its_mlflow_column(fields, expected):
    with pytest.raises(InvalidParameter) as exc:
        validate_dataset_inputs([dataset_input(**fields)])
    assert exc.value.message == expected


@pytest.mark.parametrize("key, value", [("k" * 256, "v"), ("k", "v" * 501)])
def test_dataset_is_rejected_when_an_input_tag_is_too_long(key, value):
    with pytest.raises(InvalidParameter) as exc:
        validate_dataset_inputs([dataset_input(tags=[(key, value)])])
    assert exc.value.message == (f"Input tag {key[:40]!r} exceeds the limits of 255 characters for "
                                 "keys and 500 for values")


def test_datasets_are_rejected_when_more_than_1000_come_at_once():
    with pytest.raises(InvalidParameter) as exc:
        validate_dataset_inputs([dataset_input()] * 1001)
    assert exc.value.message == "A log-inputs request can contain at most 1000 datasets; got 1001"


@pytest.mark.parametrize("value, expected", [(None, 100), (1, 1), (37, 37), (1000, 1000)])
def test_page_size_is_kept_or_defaulted_when_within_bounds(value, expected):
    assert page_size("registered_models", value) == expected


@pytest.mark.parametrize("value", [0, -1, -1000, 1001, 10**9])
def test_page_size_is_rejected_when_outside_one_to_limit(value):
    with pytest.raises(InvalidParameter) as exc:
        page_size("registered_models", value)
    assert exc.value.message == (
        f"Invalid value {value} for parameter 'max_results': it must be between 1 and 1000"
    )


def test_page_sizes_are_mlflows_when_searches_are_paged():
    assert PAGE_SIZES == {"runs": (1000, 50_000), "experiments": (1000, 50_000),
                          "registered_models": (100, 1000), "model_versions": (10_000, 200_000),
                          "logged_models": (100, 50_000), "metric_history": (25_000_000, 25_000_000)}
