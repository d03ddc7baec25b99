"""A metric's full history, in MLflow's order: timestamp, then step, then value."""
from sqlalchemy import Integer, cast, func, select

from mlexp.extensions import db
from mlexp.models import Metric
from mlexp.search.paging import decode_page_token, encode_page_token, validate_max_results
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
    lowest and highest value, so spikes survive. x is the step, or the timestamp when every
    step is 0 (a metric logged without steps). Returns (points, count, x_is_step).
    """
    run = get_run_row(run_id)
    base = (Metric.run_id == run.id, Metric.key == key, Metric.is_nan.is_(False))
    count, low_step, high_step, low_ts, high_ts, total = db.session.execute(
        select(func.count(), func.min(Metric.step), func.max(Metric.step), func.min(Metric.timestamp),
               func.max(Metric.timestamp), select(func.count()).where(Metric.run_id == run.id,
                                                                     Metric.key == key).scalar_subquery())
        .where(*base)).one()
    if not count:
        return [], total, True
    x_is_step = count == 1 or low_step != high_step
    x, low, high = (Metric.step, low_step, high_step) if x_is_step else (Metric.timestamp, low_ts, high_ts)
    if count <= max_points:
        rows = db.session.execute(select(x, Metric.value).where(*base).order_by(x, Metric.timestamp)).all()
        return [(float(a), b) for a, b in rows], total, x_is_step
    buckets = max(1, max_points // 2)
    bucket = cast((x - low) * buckets / (high - low + 1), Integer)
    rows = db.session.execute(
        select(func.min(x), func.min(Metric.value), func.max(x), func.max(Metric.value))
        .where(*base).group_by(bucket).order_by(bucket)).all()
    points = []
    for first_x, low_value, last_x, high_value in rows:
        points += [(float(first_x), low_value), (float(last_x), high_value)]
    return points, total, x_is_step
