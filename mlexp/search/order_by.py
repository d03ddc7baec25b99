"""MLflow order_by clauses (``metrics.acc DESC``, ``name``) → OrderKey tuples. Pure."""
import re
from dataclasses import dataclass

from mlexp.errors import InvalidParameter
from mlexp.search.entities import EXPERIMENT_PREFIXES, RUN_PREFIXES

# Possessive quantifiers keep matching linear on hostile input; bare keys hold no spaces.
_CLAUSE = re.compile(
    r"""\s*+(?:(?P<entity>\w++)\.)?
        (?:`(?P<bq>[^`]++)`|"(?P<dq>[^"]++)"|'(?P<sq>[^']++)'|(?P<bare>[\w.]++))
        (?:\s++(?P<direction>[A-Za-z]++))?\s*+""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class OrderKey:
    entity: str
    key: str
    ascending: bool


RUN_ATTRIBUTE_KEYS = {"start_time": "start_time", "end_time": "end_time", "created": "start_time",
                      "Created": "start_time", "run_name": "run_name", "run_id": "run_id",
                      "status": "status", "user_id": "user_id", "artifact_uri": "artifact_uri"}
EXPERIMENT_ATTRIBUTE_KEYS = {k: k for k in ("name", "experiment_id", "creation_time",
                                            "last_update_time")}
_RUN_ORDER_ENTITIES = {"metric", "param", "tag", "attribute"}
# Each metric, param or tag key orders through a join of its own; SQLite joins at most 64 tables.
MAX_ORDER_BY = 20


def _parse_one(clause, prefixes: dict, entities: set, attribute_keys: dict) -> OrderKey:
    if not isinstance(clause, str):
        raise InvalidParameter(f"Invalid order_by clause {clause!r}: expected a string")
    match = _CLAUSE.fullmatch(clause)
    if not match:
        raise InvalidParameter(
            f"Invalid order_by clause {clause!r}: expected '<entity>.<key> [ASC|DESC]'; "
            "quote keys with spaces in backticks"
        )
    direction = (match["direction"] or "ASC").upper()
    if direction not in ("ASC", "DESC"):
        raise InvalidParameter(
            f"Invalid order_by clause {clause!r}: the direction must be ASC or DESC, "
            f"not {match['direction']!r}"
        )
    key = match["bq"] or match["dq"] or match["sq"] or match["bare"]
    entity_name = match["entity"]
    entity = "attribute" if entity_name is None else prefixes.get(entity_name)
    if entity not in entities:
        raise InvalidParameter(
            f"Invalid order_by entity {entity_name!r}; expected one of: "
            f"{', '.join(sorted(p for p, e in prefixes.items() if e in entities))}"
        )
    if entity == "attribute":
        if key not in attribute_keys:
            raise InvalidParameter(
                f"Invalid order_by attribute {key!r}; expected one of: "
                f"{', '.join(sorted(set(attribute_keys.values())))}"
            )
        key = attribute_keys[key]
    return OrderKey(entity, key, direction == "ASC")


def _parse_all(clauses, prefixes: dict, entities: set, attribute_keys: dict) -> list[OrderKey]:
    """Raises: InvalidParameter for a bad clause, a field ordered on twice (MLflow refuses it),
    or more than MAX_ORDER_BY clauses."""
    if clauses and len(clauses) > MAX_ORDER_BY:
        raise InvalidParameter(f"order_by has {len(clauses)} clauses; at most {MAX_ORDER_BY} are allowed")
    keys, seen = [], {}
    for clause in clauses or []:
        key = _parse_one(clause, prefixes, entities, attribute_keys)
        if (key.entity, key.key) in seen:
            raise InvalidParameter(
                f"order_by contains duplicate fields: {seen[(key.entity, key.key)]!r} and {clause!r}")
        seen[(key.entity, key.key)] = clause
        keys.append(key)
    return keys


def parse_run_order_by(clauses: list[str] | None) -> list[OrderKey]:
    return _parse_all(clauses, RUN_PREFIXES, _RUN_ORDER_ENTITIES, RUN_ATTRIBUTE_KEYS)


def parse_experiment_order_by(clauses: list[str] | None) -> list[OrderKey]:
    return _parse_all(clauses, EXPERIMENT_PREFIXES, {"attribute"}, EXPERIMENT_ATTRIBUTE_KEYS)


def parse_column_order_by(clauses: list[str] | None, columns: dict) -> list:
    """`field [ASC|DESC]` clauses over a fixed set of columns (the registry's searches).

    Raises:
        InvalidParameter: an unknown field or direction.
    """
    ordering = []
    for clause in clauses or []:
        parts = clause.split() if isinstance(clause, str) else []
        column = columns.get(parts[0]) if parts else None
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if column is None or len(parts) > 2 or direction not in ("ASC", "DESC"):
            raise InvalidParameter(f"Invalid order_by clause {clause!r}; order by one of "
                                   f"{', '.join(sorted(columns))}, optionally ASC or DESC")
        ordering.append(column.asc() if direction == "ASC" else column.desc())
    return ordering
