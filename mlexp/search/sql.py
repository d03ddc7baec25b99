"""Parsed comparisons and order keys → SQLAlchemy clauses, so the database filters and sorts."""
from dataclasses import dataclass

from sqlalchemy import (BigInteger, Float, Integer, String, and_, case, cast, exists, false, not_,
                        or_, tuple_)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from mlexp import names
from mlexp.errors import InvalidParameter
from mlexp.models import (Dataset, Experiment, ExperimentTag, InputTag, LatestMetric, Param, Run,
                          RunInput, RunTag)
from mlexp.storage.portable_sql import like_ignoring_case, like_with_case
from mlexp.search.filter import Comparison
from mlexp.search.order_by import OrderKey
from mlexp.validation import parse_experiment_id


def compare(column, comparator: str, value) -> ColumnElement:
    """One comparison on a column; LIKE is case-sensitive and ILIKE is not, as in MLflow."""
    match comparator:
        case "=":
            return column == value
        case "!=":
            return column != value
        case ">":
            return column > value
        case ">=":
            return column >= value
        case "<":
            return column < value
        case "<=":
            return column <= value
        case "LIKE":
            return like_with_case(column, value)
        case "ILIKE":
            return like_ignoring_case(column, value)
        case "IN":
            return column.in_(value)
        case "NOT IN":
            return column.not_in(value)
    raise InvalidParameter(f"Unsupported comparator {comparator!r}")


def _key_value_condition(table, owner_column, comp: Comparison) -> ColumnElement:
    """EXISTS (a row of `table` for this owner with this key whose value matches)."""
    has_key = and_(table.key == comp.key, owner_column)
    if comp.comparator == "IS NULL":
        return not_(exists().where(has_key))
    if comp.comparator == "IS NOT NULL":
        return exists().where(has_key)
    return exists().where(has_key, compare(table.value, comp.comparator, comp.value))


_RUN_ATTRIBUTE_COLUMNS = {
    "run_id": Run.uuid, "run_name": Run.name, "status": Run.status, "user_id": Run.user_id,
    "lifecycle_stage": Run.lifecycle_stage, "start_time": Run.start_time,
    "end_time": Run.end_time,
}


def _run_attribute(key: str):
    """The column (or, for artifact_uri, the expression) an attribute filters and sorts on."""
    if key == "artifact_uri":
        return names.run_artifact_uri_expression(cast(Run.experiment_id, String), cast(Run.iid, String))
    return _RUN_ATTRIBUTE_COLUMNS[key]


def run_condition(comp: Comparison) -> ColumnElement:
    """Raises: InvalidParameter for an entity runs cannot be filtered on yet."""
    if comp.entity == "metric":
        return exists().where(
            LatestMetric.run_id == Run.id, LatestMetric.key == comp.key,
            LatestMetric.is_nan.is_(False),
            compare(LatestMetric.value, comp.comparator, comp.value),
        )
    if comp.entity == "param":
        return _key_value_condition(Param, Param.run_id == Run.id, comp)
    if comp.entity == "tag":
        return _key_value_condition(RunTag, RunTag.run_id == Run.id, comp)
    if comp.entity == "attribute":
        column = _run_attribute(comp.key)
        return compare(column, comp.comparator, comp.value)
    if comp.entity == "dataset":
        return _dataset_condition(comp)
    raise InvalidParameter(f"Filtering runs on {comp.entity} is not supported")


def _dataset_condition(comp: Comparison) -> ColumnElement:
    """EXISTS (an input of this run whose dataset name/digest or context tag matches)."""
    linked = and_(RunInput.run_id == Run.id, Dataset.id == RunInput.dataset_id)
    if comp.key == "context":
        return exists().where(linked, InputTag.input_id == RunInput.id,
                              InputTag.key == "mlflow.data.context",
                              compare(InputTag.value, comp.comparator, comp.value))
    column = Dataset.name if comp.key == "name" else Dataset.digest
    return exists().where(linked, compare(column, comp.comparator, comp.value))


def experiment_condition(comp: Comparison) -> ColumnElement:
    if comp.entity == "tag":
        return _key_value_condition(ExperimentTag, ExperimentTag.experiment_id == Experiment.id, comp)
    if comp.key == "experiment_id":
        # Ids compare as numbers ('01' is experiment 1); ids no experiment can have match nothing.
        values = comp.value if isinstance(comp.value, tuple) else (comp.value,)
        ids = tuple(number for number in map(parse_experiment_id, values) if number is not None)
        single = ids[0] if len(ids) == 1 else None
        if comp.comparator in ("IN", "NOT IN") or single is None:
            return Experiment.id.in_(ids) if comp.comparator in ("IN", "=") else Experiment.id.not_in(ids)
        return compare(Experiment.id, comp.comparator, single)
    column = {"name": Experiment.name, "creation_time": Experiment.creation_time,
              "last_update_time": Experiment.last_update_time}[comp.key]
    return compare(column, comp.comparator, comp.value)


@dataclass(frozen=True)
class SortComponent:
    """One ORDER BY term; keyset paging compares rows on these in order."""

    expr: ColumnElement
    ascending: bool


def run_sort(query, keys: list[OrderKey], comparisons: list[Comparison] = ()) -> tuple:
    """Join what the order keys need; return (query, components, comparisons still to apply).

    A metric the filter already compares (so every match has a number for it) joins inner,
    takes that comparison on the join itself and needs no missing/NaN rank: SQLite can then
    walk the (key, value) index in order and stop at the page size.

    Requested keys sort with missing values last in either direction; ties break on
    start_time DESC, then run_id ASC, as MLflow orders them, so every run has a unique,
    stable position.
    """
    components = []
    for key in keys:
        if key.entity == "attribute":
            column = _run_attribute(key.key)
            rank = case((column.is_(None), 2), else_=0)
        elif key.entity == "metric" and any(c.entity == "metric" and c.key == key.key
                                            for c in comparisons):
            table = aliased(LatestMetric)
            query = query.join(table, and_(table.run_id == Run.id, table.key == key.key))
            used = [c for c in comparisons if c.entity == "metric" and c.key == key.key]
            query = query.where(table.is_nan.is_(False),
                                *(compare(table.value, c.comparator, c.value) for c in used))
            comparisons = [c for c in comparisons if c not in used]
            components.append(SortComponent(table.value, key.ascending))
            continue
        else:
            table = aliased({"metric": LatestMetric, "param": Param, "tag": RunTag}[key.entity])
            query = query.outerjoin(table, and_(table.run_id == Run.id, table.key == key.key))
            column = table.value
            # MLflow's order: numbers, then NaN, then runs without the metric, either direction.
            rank = case((column.is_(None), 2), (table.is_nan, 1), else_=0) \
                if key.entity == "metric" else case((column.is_(None), 2), else_=0)
        components.append(SortComponent(rank, True))
        components.append(SortComponent(column, key.ascending))
    components += [SortComponent(Run.start_time, False), SortComponent(Run.uuid, True)]
    return query, components, list(comparisons)


def order_clauses(components: list[SortComponent]) -> list:
    return [c.expr.asc() if c.ascending else c.expr.desc() for c in components]


def _fits(component: SortComponent, value) -> bool:
    """Whether a token's value can be compared with the component's column in SQL: a nested
    list reached the driver as a ProgrammingError, 2**70 as an OverflowError."""
    column_type = component.expr.type
    if value is None:
        return True
    if isinstance(column_type, String):
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(column_type, Integer):
        bits = 64 if isinstance(column_type, BigInteger) else 32
        return isinstance(value, int) and -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    return isinstance(column_type, Float) and (isinstance(value, float) or -(2**63) <= value < 2**63)


def keyset_after(components: list[SortComponent], values: list) -> ColumnElement:
    """Rows strictly after the row with these sort values, in the components' order.

    Raises:
        InvalidParameter: the values do not fit the components (a forged or stale token).
    """
    if len(values) != len(components) or not all(map(_fits, components, values)):
        raise InvalidParameter("Invalid page token: it does not match this search's order")
    directions = {c.ascending for c in components}
    if len(directions) == 1 and None not in values:
        # One direction throughout: a row-value comparison, which an index can range-scan.
        row, after = tuple_(*(c.expr for c in components)), tuple_(*values)
        return row > after if components[0].ascending else row < after
    condition = false()
    for component, value in reversed(list(zip(components, values))):
        if value is None:
            after, same = false(), component.expr.is_(None)
        else:
            after = component.expr > value if component.ascending else component.expr < value
            same = component.expr == value
        condition = or_(after, and_(same, condition))
    first, first_value = components[0], values[0]
    if first_value is not None:
        # A redundant bound on the first term lets an index range-scan to the resume point.
        bound = first.expr >= first_value if first.ascending else first.expr <= first_value
        condition = and_(bound, condition)
    return condition


def experiment_order_clauses(keys: list[OrderKey]) -> list:
    """ORDER BY for experiments; by default the newest first, ties broken by id."""
    columns = {"name": Experiment.name, "experiment_id": Experiment.id,
               "creation_time": Experiment.creation_time,
               "last_update_time": Experiment.last_update_time}
    clauses = [columns[k.key].asc() if k.ascending else columns[k.key].desc() for k in keys]
    if not keys:
        clauses.append(Experiment.creation_time.desc())
    clauses.append(Experiment.id.asc())
    return clauses

