"""What each searchable resource accepts: written prefixes → entities, and for each entity the
comparators and value kinds it takes (the explicit tables filter.py's parser checks against)."""
from dataclasses import dataclass, field

# Written prefix → entity, exactly as MLflow spells them (case matters).
RUN_PREFIXES = {
    "metric": "metric", "metrics": "metric",
    "param": "param", "params": "param", "parameter": "param", "parameters": "param",
    "tag": "tag", "tags": "tag",
    "attribute": "attribute", "attributes": "attribute", "attr": "attribute", "run": "attribute",
    "dataset": "dataset", "datasets": "dataset",
}
EXPERIMENT_PREFIXES = {"attribute": "attribute", "tag": "tag", "tags": "tag"}
LOGGED_MODEL_PREFIXES = {k: v for k, v in RUN_PREFIXES.items() if v != "dataset"}
REGISTRY_PREFIXES = {"attribute": "attribute", "tag": "tag", "tags": "tag"}

NUMERIC = frozenset({"=", "!=", ">", ">=", "<", "<="})
STRING = frozenset({"=", "!=", "LIKE", "ILIKE"})
STRING_OR_LIST = STRING | {"IN", "NOT IN"}
NULL_CHECKS = frozenset({"IS NULL", "IS NOT NULL"})


@dataclass(frozen=True)
class EntityRule:
    """What one entity accepts: comparators for string values, for numbers, and allowed keys."""

    string_comparators: frozenset = frozenset()
    numeric_comparators: frozenset = frozenset()
    keys: frozenset | None = None  # None: any key
    numeric_keys: frozenset = frozenset()
    list_keys: frozenset | None = None  # keys that take IN lists; None: any key
    integer_only: bool = False  # numeric values must be integer literals
    key_aliases: dict = field(default_factory=dict)
    key_comparators: dict = field(default_factory=dict)  # per-key narrower comparator sets
    id_keys: frozenset = frozenset()  # string values must be experiment ids (integers)


RUN_RULES = {
    "metric": EntityRule(numeric_comparators=NUMERIC),
    "param": EntityRule(string_comparators=STRING_OR_LIST | NULL_CHECKS),
    "tag": EntityRule(string_comparators=STRING_OR_LIST | NULL_CHECKS),
    "attribute": EntityRule(
        string_comparators=STRING_OR_LIST,
        numeric_comparators=NUMERIC,
        keys=frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri", "start_time",
                        "end_time"}),
        numeric_keys=frozenset({"start_time", "end_time"}),
        list_keys=frozenset({"run_id"}),
        key_aliases={"created": "start_time", "Created": "start_time", "run name": "run_name",
                     "Run name": "run_name", "Run Name": "run_name"},
    ),
    "dataset": EntityRule(string_comparators=STRING_OR_LIST,
                          keys=frozenset({"name", "digest", "context"})),
}

EXPERIMENT_RULES = {
    "attribute": EntityRule(
        string_comparators=STRING_OR_LIST,
        numeric_comparators=NUMERIC,
        keys=frozenset({"name", "experiment_id", "creation_time", "last_update_time"}),
        numeric_keys=frozenset({"creation_time", "last_update_time"}),
        list_keys=frozenset({"experiment_id"}),
        integer_only=True,
        key_comparators={"experiment_id": frozenset({"=", "!=", "IN", "NOT IN"})},
        id_keys=frozenset({"experiment_id"}),
    ),
    "tag": EntityRule(string_comparators=STRING | NULL_CHECKS),
}

LOGGED_MODEL_RULES = {
    "metric": EntityRule(numeric_comparators=NUMERIC),
    "param": EntityRule(string_comparators=STRING_OR_LIST),
    "tag": EntityRule(string_comparators=STRING_OR_LIST),
    "attribute": EntityRule(
        string_comparators=STRING_OR_LIST,
        numeric_comparators=NUMERIC,
        keys=frozenset({"name", "model_id", "model_type", "status", "source_run_id",
                        "creation_timestamp", "last_updated_timestamp"}),
        numeric_keys=frozenset({"creation_timestamp", "last_updated_timestamp"}),
        key_aliases={"creation_time": "creation_timestamp",
                     "last_updated_time": "last_updated_timestamp"},
    ),
}

REGISTERED_MODEL_RULES = {
    "attribute": EntityRule(string_comparators=STRING_OR_LIST, keys=frozenset({"name"})),
    "tag": EntityRule(string_comparators=STRING),
}
MODEL_VERSION_RULES = {
    "attribute": EntityRule(
        string_comparators=STRING_OR_LIST,
        numeric_comparators=NUMERIC,
        keys=frozenset({"name", "run_id", "source_path", "version_number", "model_id"}),
        numeric_keys=frozenset({"version_number"}),
        list_keys=frozenset({"name", "run_id", "model_id"}),
        integer_only=True,
    ),
    "tag": EntityRule(string_comparators=STRING),
}
