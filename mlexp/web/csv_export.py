"""The runs table as CSV: every matching run, streamed."""
import csv
import io
from collections.abc import Iterator

from mlexp.services import browse, runs

PAGE_SIZE = 1000
CHUNK_BYTES = 64 * 1024


def runs_csv(experiment, filter_text: str, order_by: str) -> Iterator[str]:
    """CSV text in chunks: a header, then one row per matching run, read 1,000 at a time.

    The first page of runs is read before this returns, so a bad filter or order fails before
    the response's first byte, not halfway through it.

    Raises:
        InvalidParameter: a bad filter or order.
    """
    param_keys, metric_keys = browse.column_keys(experiment.id)

    def search(page_token):
        return runs.search_runs([str(experiment.id)], filter_string=filter_text or None,
                                order_by=[order_by] if order_by else None, max_results=PAGE_SIZE,
                                page_token=page_token)

    header = (["run_id", "iid", "run_name", "status", "user_id", "start_time", "end_time"]
              + [f"params.{k}" for k in param_keys] + [f"metrics.{k}" for k in metric_keys])
    return _chunks(header, _rows(search(None), search, param_keys, metric_keys))


def _rows(first_page, search, param_keys: list[str], metric_keys: list[str]) -> Iterator[list]:
    records, token = first_page
    while True:
        for r in records:
            params = dict(r.params)
            metrics = {m.key: "NaN" if m.is_nan else m.value for m in r.metrics}
            yield ([r.uuid, r.iid, r.name, r.status, r.user_id, r.start_time, r.end_time or ""]
                   + [params.get(k, "") for k in param_keys] + [metrics.get(k, "") for k in metric_keys])
        if not token:
            return
        records, token = search(token)


def _chunks(header: list, rows: Iterator[list]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
