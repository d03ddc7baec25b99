"""MLflow's limits and naming rules, checked before anything is written: here keys, values,
names, ids and batch sizes; the registry's and logged models' in validation/registry.py. Pure."""
import posixpath
import re

from mlexp.errors import InvalidParameter

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_RUN_NAME_LENGTH = 250
# MLflow's registered_models.description and model_versions.description are String(5000) (its
# store/model_registry/dbmodels/models.py); its MySQL and PostgreSQL stores refuse longer ones.
MAX_DESCRIPTION_LENGTH = 5000
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_DATASETS_PER_BATCH = 1000
# max_results of each search: MLflow's (default, largest) page (store/tracking/__init__.py,
# store/model_registry/__init__.py); a metric history's page is mlexp's own (the whole history).
PAGE_SIZES = {"runs": (1000, 50_000), "experiments": (1000, 50_000),
              "registered_models": (100, 1000), "model_versions": (10_000, 200_000),
              "logged_models": (100, 50_000), "metric_history": (25_000_000, 25_000_000)}
# MLflow's dataset columns (store/tracking/dbmodels/models.py; 64 KiB, 1 MiB and 16 MiB - 1).
MAX_DATASET_FIELD_LENGTHS = {"name": 500, "digest": 36, "source_type": 36, "source": 65535,
                             "schema": 1048575, "profile": 16777215}
MAX_INPUT_TAG_KEY_LENGTH, MAX_INPUT_TAG_VALUE_LENGTH = 255, 500

_KEY_CHARS = re.compile(r"^[/\w.\- :]*$")
# Experiment ids, run IIDs and model version numbers are INTEGER columns: 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1


def parse_id(value: str | int) -> int | None:
    """The number an id names if a row can have it, else None (not decimal digits, or outside
    0 … MAX_ID): a larger number would fail in the query (PostgreSQL: "integer out of range";
    SQLite beyond int64: OverflowError) instead of matching nothing."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()) or len(value.lstrip("0")) > len(str(MAX_ID)):
            return None
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    return None


_INTEGER = re.compile(r"-?[0-9]+")


def parse_integer_id(value: str | int, name: str) -> int | None:
    """An id MLflow reads with int(): None for an integer no row can have (negative or past
    MAX_ID), which finds nothing as MLflow's query does.

    Raises:
        InvalidParameter: the value is not an integer (MLflow's int() fails on it too).
    """
    if not (isinstance(value, int) and not isinstance(value, bool)
            or isinstance(value, str) and _INTEGER.fullmatch(value)):
        raise InvalidParameter(f"Invalid {name} {value!r}: it must be an integer")
    return parse_id(value)


def parse_experiment_id(experiment_id: str | int) -> int | None:
    """The one reading of an experiment id, for every endpoint, search and filter: MLflow 3.17
    answers INVALID_PARAMETER_VALUE for text that is no integer (utils/validation.py
    _parse_experiment_id) and RESOURCE_DOES_NOT_EXIST, or no match, for an integer without an
    experiment.

    Raises:
        InvalidParameter: the id is not an integer.
    """
    return parse_integer_id(experiment_id, "experiment ID")


def validate_key(kind: str, key: str) -> None:
    """Metric, param and tag names: MLflow's characters, length, and no path tricks.

    Raises:
        InvalidParameter: naming the rule the key breaks.
    """
    if not key:
        raise InvalidParameter(f"Missing {kind} key: a non-empty key is required")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            f"{kind.capitalize()} key '{key[:40]}…' has length {len(key)}, which exceeds the "
            f"limit of {MAX_KEY_LENGTH}"
        )
    if not _KEY_CHARS.match(key):
        raise InvalidParameter(
            f"Invalid {kind} key {key!r}: names may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/)"
        )
    normalized = posixpath.normpath(key)
    if normalized != key or normalized == "." or normalized.startswith(("..", "/")):
        raise InvalidParameter(
            f"Invalid {kind} key {key!r}: names are used as file paths and must not resolve to "
            f"another name (this one resolves to {normalized!r})"
        )


def validate_value_length(kind: str, key: str, value: str, limit: int) -> None:
    """Raises: InvalidParameter when the value is longer than MLflow allows."""
    if len(value) > limit:
        raise InvalidParameter(
            f"{kind.capitalize()} value for key {key!r} has length {len(value)}, which exceeds "
            f"the limit of {limit}"
        )


def validate_param(key: str, value: str) -> None:
    validate_key("param", key)
    validate_value_length("param", key, value, MAX_PARAM_VALUE_LENGTH)


def validate_tag(key: str, value: str) -> None:
    validate_key("tag", key)
    validate_value_length("tag", key, value, MAX_TAG_VALUE_LENGTH)


def validate_experiment_name(name: str) -> None:
    """Raises: InvalidParameter for an empty or over-long name."""
    if not name:
        raise InvalidParameter("Invalid experiment name: it must be a non-empty string")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameter(
            f"Experiment name has length {len(name)}, which exceeds the limit of "
            f"{MAX_EXPERIMENT_NAME_LENGTH}"
        )


def validate_experiment_tag(key: str, value: str) -> None:
    validate_key("experiment tag", key)
    validate_value_length("experiment tag", key, value, MAX_EXPERIMENT_TAG_VALUE_LENGTH)


def validate_run_name(name: str) -> None:
    if len(name) > MAX_RUN_NAME_LENGTH:
        raise InvalidParameter(
            f"Run name has length {len(name)}, which exceeds the limit of {MAX_RUN_NAME_LENGTH}"
        )


def validate_description(kind: str, description: str | None) -> None:
    """Raises: InvalidParameter for a description longer than MLflow's stores hold."""
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidParameter(
            f"{kind.capitalize()} description has length {len(description)}, which exceeds the "
            f"limit of {MAX_DESCRIPTION_LENGTH} characters"
        )


def validate_batch_sizes(metrics: int, params: int, tags: int) -> None:
    """MLflow's LogBatch limits.

    Raises:
        InvalidParameter: naming the limit that was exceeded.
    """
    if metrics > MAX_METRICS_PER_BATCH:
        raise InvalidParameter(
            f"A batch logging request can contain at most {MAX_METRICS_PER_BATCH} metrics; "
            f"got {metrics}"
        )
    if params > MAX_PARAMS_TAGS_PER_BATCH:
        raise InvalidParameter(
            f"A batch logging request can contain at most {MAX_PARAMS_TAGS_PER_BATCH} params; "
            f"got {params}"
        )
    if tags > MAX_PARAMS_TAGS_PER_BATCH:
        raise InvalidParameter(
            f"A batch logging request can contain at most {MAX_PARAMS_TAGS_PER_BATCH} tags; "
            f"got {tags}"
        )
    total = metrics + params + tags
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidParameter(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} metrics, "
            f"params and tags in total; got {total}"
        )


def validate_dataset_inputs(datasets: list[dict]) -> None:
    """LogInputs' datasets: how many, and each field and input tag within MLflow's columns.

    Raises:
        InvalidParameter: naming the limit that was exceeded.
    """
    if len(datasets) > MAX_DATASETS_PER_BATCH:
        raise InvalidParameter(
            f"A log-inputs request can contain at most {MAX_DATASETS_PER_BATCH} datasets; "
            f"got {len(datasets)}")
    for item in datasets:
        for field, limit in MAX_DATASET_FIELD_LENGTHS.items():
            value = item["dataset"].get(field) or ""
            if len(value) > limit:
                raise InvalidParameter(
                    f"Dataset {field} has length {len(value)}, which exceeds the limit of {limit}")
        for tag in item.get("tags", []):
            if len(tag["key"]) > MAX_INPUT_TAG_KEY_LENGTH or len(tag["value"]) > MAX_INPUT_TAG_VALUE_LENGTH:
                raise InvalidParameter(
                    f"Input tag {tag['key'][:40]!r} exceeds the limits of {MAX_INPUT_TAG_KEY_LENGTH} "
                    f"characters for keys and {MAX_INPUT_TAG_VALUE_LENGTH} for values")


def page_size(search: str, max_results: int | None) -> int:
    """How many results a page of `search` (a PAGE_SIZES key) holds: max_results, else the default.

    Raises:
        InvalidParameter: max_results is not between 1 and the search's largest page.
    """
    default, limit = PAGE_SIZES[search]
    if max_results is None:
        return default
    if max_results < 1 or max_results > limit:
        raise InvalidParameter(
            f"Invalid value {max_results} for parameter 'max_results': it must be between 1 and {limit}"
        )
    return max_results


def duplicate_keys(keys: list[str]) -> list[str]:
    seen, dupes = set(), []
    for key in keys:
        if key in seen and key not in dupes:
            dupes.append(key)
        seen.add(key)
    return dupes
