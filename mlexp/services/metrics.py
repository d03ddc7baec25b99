"""A metric's full history, in MLflow's order: timestamp, then step, then value."""
import functools

from sqlalchemy import bindparam, func, select, union_all

from mlexp.extensions import db
from mlexp.models import Metric
from mlexp.search.paging import decode_page_token, encode_page_token, validate_max_results
from mlexp.services.prepared import Prepared
from mlexp.services.runs import get_run_row

MAX_HISTORY_PAGE = 25_000_000


def get_metric_history(run_id: str, key: str, *, max_results: int | None = None,
                       page_token: str | None = None) -> tuple[list, str | None]:
    """Rows of (key, value, is_nan, timestamp, step): all points when no page size is given, else one page and the next page's token.

    Raises:
        NotFound: no such run.
        InvalidParameter: bad page size or token.
    """
    run = get_run_row(run_id)
    offset = decode_page_token(page_token)
    query = (select(Metric.key, Metric.value, Metric.is_nan, Metric.timestamp, Metric.step).where(Metric.run_id == run.id, Metric.key == key)
             .order_by(Metric.timestamp, Metric.step, Metric.value).offset(offset))
    if max_results is None and not page_token:
        return db.session.execute(query).all(), None
    limit = validate_max_results(max_results, default=MAX_HISTORY_PAGE, limit=MAX_HISTORY_PAGE)
    rows = db.session.execute(query.limit(limit + 1)).all()
    next_token = encode_page_token(offset + limit) if len(rows) > limit else None
    return rows[:limit], next_token


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
    """
    run = get_run_row(run_id)
    session = db.session
    base = (Metric.run_id == run.id, Metric.key == key, Metric.is_nan.is_(False))
    nan_count = session.scalar(select(func.count()).where(
        Metric.run_id == run.id, Metric.key == key, Metric.is_nan.is_(True)))
    # One min() or max() per query: SQLite answers those from the index's ends.
    low = session.scalar(select(func.min(Metric.step)).where(*base))
    if low is None:
        return [], nan_count, True
    high = session.scalar(select(func.max(Metric.step)).where(*base))
    x_is_step = low != high
    x = Metric.step if x_is_step else Metric.timestamp
    if not x_is_step:
        low = session.scalar(select(func.min(x)).where(*base))
        high = session.scalar(select(func.max(x)).where(*base))
    buckets = max(1, min(max_points // 2, high - low + 1))
    edges = [low + (high - low + 1) * i // buckets for i in range(buckets + 1)]
    params = {"run_pk": run.id, "key": key}
    for i in range(buckets):
        params[f"lo{i}"], params[f"hi{i}"] = edges[i], edges[i + 1]
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()
    rows = _bucket_query(x_is_step, buckets).execute(cursor, connection.dialect, params).fetchall()
    count = sum(row[0] for row in rows)
    if count <= max_points:
        points = session.execute(select(x, Metric.value).where(*base).order_by(x, Metric.timestamp)).all()
        return [(float(a), b) for a, b in points], count + nan_count, x_is_step
    points = []
    for bucket_count, first_x, low_value, last_x, high_value in rows:
        if bucket_count:
            points += [(float(first_x), low_value), (float(last_x), high_value)]
    return points, count + nan_count, x_is_step


@functools.cache
def _bucket_query(x_is_step: bool, buckets: int) -> Prepared:
    """One aggregate per x range, glued with UNION ALL, as a statement compiled once."""
    x = Metric.step if x_is_step else Metric.timestamp
    parts = [select(func.count(), func.min(x), func.min(Metric.value), func.max(x), func.max(Metric.value))
             .where(Metric.run_id == bindparam("run_pk"), Metric.key == bindparam("key"),
                    Metric.is_nan.is_(False), x >= bindparam(f"lo{i}"), x < bindparam(f"hi{i}"))
             for i in range(buckets)]
    return Prepared(union_all(*parts))
