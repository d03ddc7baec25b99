"""A metric's full history, in MLflow's order: timestamp, then step, then value."""
from sqlalchemy import select

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
