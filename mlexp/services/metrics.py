"""A metric's full history, in MLflow's order: timestamp, then step, then value."""
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, func, literal_column, select, text, union_all

from mlexp.extensions import db
from mlexp.models import Metric
from mlexp.models.tracking import NEGATIVE_ZERO
from mlexp.search.paging import decode_page_token, encode_page_token
from mlexp.services import page_token_secret
from mlexp.storage.prepared import Prepared
from mlexp.storage.readers import submit_read
from mlexp.services.runs import get_run_row
from mlexp.validation import page_size


def get_metric_history(run_id: str, key: str, *, max_results: int | None = None,
                       page_token: str | None = None) -> tuple[list, str | None]:
    """Rows of (key, value, is_nan, timestamp, step): all points when no page size is given, else one page and the next page's token.

    Raises:
        NotFound: no such run.
        InvalidParameter: bad page size or token.
    """
    run = get_run_row(run_id)
    secret = page_token_secret()
    offset = decode_page_token(page_token, secret=secret)
    # The table's columns, not the model's attributes: a Core select skips the ORM's row
    # loading, which cost ~2.5 µs a point (a 100,000-point history spent 0.25 s there).
    metrics = Metric.__table__.c
    query = (select(metrics.key, metrics.value, metrics.is_nan, metrics.timestamp, metrics.step)
             .where(metrics.run_id == run.id, metrics.key == key)
             .order_by(metrics.timestamp, metrics.step, metrics.value).offset(offset))
    if max_results is None and not page_token:
        return _with_negative_zeros(db.session.execute(query).all(), run.id, key), None
    limit = page_size("metric_history", max_results)
    rows = db.session.execute(query.limit(limit + 1)).all()
    next_token = encode_page_token(offset + limit, secret=secret) if len(rows) > limit else None
    return _with_negative_zeros(rows[:limit], run.id, key), next_token


def _with_negative_zeros(rows: list, run_pk: int, key: str) -> list:
    """Give back their sign to points logged as -0.0 (SQLite reads them as 0.0; models.Metric).

    Reading metrics.negative_zero with every point would leave the covering index the history is
    read from (~15% of a 100,000-point read); the rare such points come from a partial index.
    """
    metrics = Metric.__table__.c
    negative = set(db.session.execute(
        select(metrics.timestamp, metrics.step)
        # The index's own condition, word for word: SQLite uses a partial index only then.
        .where(metrics.run_id == run_pk, metrics.key == key, text(NEGATIVE_ZERO))).all())
    if not negative:
        return rows
    return [(k, -0.0, is_nan, t, s) if v == 0 and not is_nan and (t, s) in negative else (k, v, is_nan, t, s)
            for k, v, is_nan, t, s in rows]


@dataclass
class _ChartPlan:
    """What a chart read needs after the cheap lookups: the x column and its bucket edges."""

    run_pk: int
    key: str
    nan_count: int
    x_is_step: bool
    edges: list[int]  # empty: no finite point at all

    def bucket_params(self, first: int, last: int) -> dict:
        """Each bucket's first and last x, both inclusive: the next bucket's first x would pass
        int64's end for a history whose last step is the largest int64."""
        params = {"run_pk": self.run_pk, "key": self.key}
        for i, bucket in enumerate(range(first, last)):
            params[f"lo{i}"], params[f"hi{i}"] = self.edges[bucket], self.edges[bucket + 1] - 1
        return params

    @property
    def buckets(self) -> int:
        return max(0, len(self.edges) - 1)


def _finite_points(run_pk: int, key: str):
    """The WHERE clause of a history's drawable (not NaN) points."""
    return Metric.run_id == run_pk, Metric.key == key, Metric.is_nan.is_(False)


def _plan_chart(run_pk: int, key: str, max_points: int) -> _ChartPlan:
    """The x axis and its buckets, from single index lookups (SQLite answers a lone min() or
    max() from the index's ends)."""
    session = db.session
    base = _finite_points(run_pk, key)
    nan_count = session.scalar(select(func.count()).where(
        Metric.run_id == run_pk, Metric.key == key, Metric.is_nan.is_(True)))
    low = session.scalar(select(func.min(Metric.step)).where(*base))
    if low is None:
        return _ChartPlan(run_pk, key, nan_count, True, [])
    high = session.scalar(select(func.max(Metric.step)).where(*base))
    x_is_step = low != high
    if not x_is_step:
        low = session.scalar(select(func.min(Metric.timestamp)).where(*base))
        high = session.scalar(select(func.max(Metric.timestamp)).where(*base))
    buckets = max(1, min(max_points // 2, high - low + 1))
    return _ChartPlan(run_pk, key, nan_count, x_is_step,
                      [low + (high - low + 1) * i // buckets for i in range(buckets + 1)])


def _read_buckets(plan: _ChartPlan, first: int, last: int) -> list:
    """(count, first x, lowest value, last x, highest value) of buckets first..last-1, in order."""
    connection = db.session.connection()
    cursor = connection.connection.driver_connection.cursor()
    rows = (_bucket_query(plan.x_is_step, last - first)
            .execute(cursor, connection.dialect, plan.bucket_params(first, last)).fetchall())
    return [row[1:] for row in rows]


def _finish_chart(plan: _ChartPlan, rows: list, max_points: int) -> tuple[list, int, bool]:
    count = sum(row[0] for row in rows)
    if count <= max_points:  # few points: all of them, no reduction
        x = Metric.step if plan.x_is_step else Metric.timestamp
        points = db.session.execute(select(x, Metric.value).where(*_finite_points(plan.run_pk, plan.key))
                                    .order_by(x, Metric.timestamp)).all()
        return [(float(a), b) for a, b in points], count + plan.nan_count, plan.x_is_step
    points = []
    for bucket_count, first_x, low_value, last_x, high_value in rows:
        if bucket_count:
            points += [(float(first_x), low_value), (float(last_x), high_value)]
    return points, count + plan.nan_count, plan.x_is_step


def metric_history_for_chart(run_id: str, key: str, max_points: int = 400) -> tuple[list, int, bool]:
    """Chart points (x, y) of a metric, at most ~max_points, and the true number of points.

    Long histories are reduced in SQL: the x range is cut into buckets and each bucket keeps its
    first and last x with its lowest and highest value, so spikes survive. x is the step, or the
    timestamp when every step is the same (a metric logged without steps).

    Every bucket is an index range (ix_metrics_chart for steps, the unique index for
    timestamps) and the ends of the x range are single index lookups, so a 100,000-point
    history costs one pass over its index entries: nothing is sorted or grouped, and the
    buckets' counts add up to the history's length without a separate count.
    Returns (points, count, x_is_step).

    Raises:
        NotFound: no such run.
    """
    plan = _plan_chart(get_run_row(run_id).id, key, max_points)
    return _finish_chart(plan, _read_buckets(plan, 0, plan.buckets) if plan.buckets else [], max_points)


# Each history's buckets are read in this many slices, so the slices of five histories share
# two cores evenly (five whole histories on two readers would leave one reading alone at the end).
_SLICES = 2


def metric_histories_for_charts(run_id: str, keys: list[str],
                                max_points: int = 400) -> Iterator[tuple[list, int, bool]]:
    """metric_history_for_chart of each key, in order, the long reads on reader threads.

    A run page with five 100,000-point metrics spent ~50 ms per metric in SQLite, one after the
    other. The bucket reads now start at once, in slices, on storage/readers.py's threads, and
    overlap; the caller can do other work before iterating.

    Raises:
        NotFound: no such run.
    """
    run_pk = get_run_row(run_id).id
    plans = [_plan_chart(run_pk, key, max_points) for key in keys]
    slices = []
    for plan in plans:
        cuts = [plan.buckets * i // _SLICES for i in range(_SLICES + 1)]
        slices.append([submit_read(_read_buckets, plan, a, b) for a, b in zip(cuts, cuts[1:]) if b > a])

    def results() -> Iterator[tuple[list, int, bool]]:
        for plan, futures in zip(plans, slices):
            yield _finish_chart(plan, [row for future in futures for row in future.result()], max_points)

    return results()


@functools.cache
def _bucket_query(x_is_step: bool, buckets: int) -> Prepared:
    """One aggregate per x range, glued with UNION ALL, as a statement compiled once.

    Ordered by the bucket's number: PostgreSQL may run the parts in parallel (Parallel Append)
    and return them in any order, which scrambled charts (and failed a test now and then).
    """
    x = Metric.step if x_is_step else Metric.timestamp
    parts = [select(literal_column(str(i)).label("bucket"), func.count(), func.min(x),
                    func.min(Metric.value), func.max(x), func.max(Metric.value))
             .where(Metric.run_id == bindparam("run_pk"), Metric.key == bindparam("key"),
                    Metric.is_nan.is_(False), x >= bindparam(f"lo{i}"), x <= bindparam(f"hi{i}"))
             for i in range(buckets)]
    return Prepared(union_all(*parts).order_by(literal_column("bucket")))
