"""The runs table as CSV: every matching run, streamed, with formula-like text defused."""
import csv
import io
import re
from collections.abc import Iterator

from mlexp.services import browse, runs

PAGE_SIZE = 1000
CHUNK_BYTES = 64 * 1024
# OWASP's CSV injection list: a spreadsheet runs a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def safe_cell(value):
    """Text starting with a formula character gets a leading ' (OWASP), unless it is a plain
    number such as a param '-0.5', which a spreadsheet reads as the number it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


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
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
        if buffer.tell() > CHUNK_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
