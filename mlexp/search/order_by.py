"""MLflow order_by clauses (``metrics.acc DESC``, ``name``) → OrderKey tuples. Pure."""
import re
from dataclasses import dataclass

from mlexp.errors import InvalidParameter
from mlexp.search.filter import ENTITY_ALIASES

_CLAUSE = re.compile(
    r"""^\s*(?:(?P<entity>[A-Za-z_]+)\.)?
        (?:`(?P<bq>[^`]+)`|"(?P<dq>[^"]+)"|(?P<bare>[\w.:/ -]+?))
        (?:\s+(?P<direction>ASC|DESC))?\s*$""",
    re.VERBOSE | re.IGNORECASE,
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


def _parse_one(clause: str, entities: set, attribute_keys: dict, bare_attributes: bool) -> OrderKey:
    if not isinstance(clause, str):
        raise InvalidParameter(f"Invalid order_by clause {clause!r}: expected a string")
    match = _CLAUSE.match(clause)
    if not match:
        raise InvalidParameter(
            f"Invalid order_by clause {clause!r}: expected '<entity>.<key> [ASC|DESC]'"
        )
    key = match["bq"] or match["dq"] or (match["bare"] or "").strip()
    entity_name = match["entity"]
    if entity_name is None:
        if not bare_attributes:
            raise InvalidParameter(
                f"Invalid order_by clause {clause!r}: name the entity, e.g. 'attributes.start_time'"
            )
        entity = "attribute"
    else:
        entity = ENTITY_ALIASES.get(entity_name.lower())
    if entity not in entities:
        raise InvalidParameter(
            f"Invalid order_by entity {entity_name!r}; expected one of: {', '.join(sorted(entities))}"
        )
    if entity == "attribute":
        if key not in attribute_keys:
            raise InvalidParameter(
                f"Invalid order_by attribute {key!r}; expected one of: "
                f"{', '.join(sorted(set(attribute_keys.values())))}"
            )
        key = attribute_keys[key]
    direction = (match["direction"] or "ASC").upper()
    return OrderKey(entity, key, direction == "ASC")


def parse_run_order_by(clauses: list[str] | None) -> list[OrderKey]:
    """Raises: InvalidParameter for an unknown entity or attribute, or a malformed clause."""
    return [_parse_one(c, {"metric", "param", "tag", "attribute"}, RUN_ATTRIBUTE_KEYS, False)
            for c in clauses or []]


def parse_experiment_order_by(clauses: list[str] | None) -> list[OrderKey]:
    """Raises: InvalidParameter for an unknown attribute or a malformed clause."""
    return [_parse_one(c, {"attribute"}, EXPERIMENT_ATTRIBUTE_KEYS, True) for c in clauses or []]
