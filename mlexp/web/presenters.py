"""Page data: what each page shows, built from service calls. No Flask request access here."""
import math
from dataclasses import dataclass

from mlexp.ci import ci_record
from mlexp.errors import InvalidParameter
from mlexp.services import browse, packages, runs
from mlexp.services.metrics import get_metric_history, metric_histories_for_charts
from mlexp.web.charts import Series, downsample, line_chart
from mlexp.web import model_presenters

RUNS_PER_PAGE = 50
DEFAULT_METRIC_COLUMNS = 8


@dataclass
class ExperimentsPage:
    summaries: list
    total: int
    page: int
    pages: int
    query: str
    sort: str
    descending: bool
    deleted: bool


def experiments_page(*, query: str, sort: str, descending: bool, page: int, deleted: bool) -> ExperimentsPage:
    sort = sort if sort in browse.SORTS else "last_activity"
    summaries, total, page = browse.experiment_summaries(deleted=deleted, name_query=query, sort=sort,
                                                         descending=descending, page=page)
    pages = max(1, math.ceil(total / browse.PAGE_SIZE))
    return ExperimentsPage(summaries, total, page, pages, query, sort, descending, deleted)


@dataclass
class RunsTable:
    experiment: object
    records: list
    param_keys: list[str]
    metric_keys: list[str]
    shown_params: list[str]
    shown_metrics: list[str]
    filter_text: str
    filter_error: str | None
    order_by: str
    next_token: str | None
    charts: list
    ci: dict
    group_by: str
    groups: list  # [(label, url, [records])]; one unnamed group when not grouping


GROUPINGS = {"pipeline": ("pipeline_id", "pipeline_url", "Pipeline #"),
             "merge_request": ("merge_request", "merge_request_url", "Merge request !")}


def _grouped(records: list, ci: dict, group_by: str) -> list:
    """The page's runs grouped by their CI pipeline or merge request, in order of appearance."""
    if group_by not in GROUPINGS:
        return [(None, None, records)]
    id_field, url_field, prefix = GROUPINGS[group_by]
    groups: dict = {}
    for record in records:
        record_ci = ci.get(record.uuid)
        key = getattr(record_ci, id_field) if record_ci else None
        label = f"{prefix}{key}" if key else "Not from CI"
        url = getattr(record_ci, url_field) if record_ci and key else None
        groups.setdefault(label, (label, url, []))[2].append(record)
    return list(groups.values())


def runs_table(experiment, *, filter_text: str, order_by: str, page_token: str | None,
               columns: list[str] | None, group_by: str = "") -> RunsTable:
    """The experiment's runs for the table; a bad filter or order shows its message instead."""
    param_keys, metric_keys = browse.column_keys(experiment.id)
    if columns is None:
        shown_params, shown_metrics = param_keys, metric_keys[:DEFAULT_METRIC_COLUMNS]
    else:
        shown_params = [c[len("params."):] for c in columns if c.startswith("params.")]
        shown_metrics = [c[len("metrics."):] for c in columns if c.startswith("metrics.")]
    error, records, token = None, [], None
    try:
        records, token = runs.search_runs([str(experiment.id)], filter_string=filter_text or None,
                                          order_by=[order_by] if order_by else None,
                                          max_results=RUNS_PER_PAGE, page_token=page_token)
    except InvalidParameter as exc:
        error = exc.message
    charts = [_latest_value_chart(key, records) for key in shown_metrics[:4]] if records else []
    ci = {r.uuid: ci_record(dict(r.tags)) for r in records}
    return RunsTable(experiment, records, param_keys, metric_keys, shown_params, shown_metrics,
                     filter_text, error, order_by, token, charts, ci, group_by,
                     _grouped(records, ci, group_by))


def _latest_value_chart(key: str, records: list):
    points = sorted((float(r.iid), m.value) for r in records for m in r.metrics
                    if m.key == key and not m.is_nan)
    return line_chart([Series(key, points)], title=f"{key} (latest) by run", x_label="run IID",
                      lines=False)


@dataclass
class RunPage:
    experiment: object
    run: object
    metrics: list
    system_tags: list
    user_tags: list
    parent: object
    children: list
    files: list
    ci: object
    versions: list
    model_names: list


PREVIEW_KINDS = {".png": "image", ".jpg": "image", ".jpeg": "image", ".gif": "image", ".webp": "image",
                 ".txt": "text", ".log": "text", ".json": "text", ".yaml": "text", ".yml": "text",
                 ".md": "text", ".csv": "table", ".tsv": "table", ".py": "text", ".cfg": "text"}


def run_page(experiment_id: int, iid: int) -> RunPage:
    """Raises: NotFound for an unknown experiment or run."""
    experiment, record = browse.run_by_iid(experiment_id, iid)
    # The long reads first, on their own threads; the rest of the page is gathered meanwhile.
    histories = metric_histories_for_charts(record.uuid, [metric.key for metric in record.metrics])
    tags = sorted(record.tags)
    parent, children = browse.related_runs(record)
    files = packages.list_run_files(experiment.id, record.iid)
    metrics = []
    for metric, (points, count, x_is_step) in zip(record.metrics, histories):
        chart = line_chart([Series(metric.key, points)], title=metric.key,
                           x_label="step" if x_is_step else "time (ms)")
        metrics.append((metric, count, chart))
    return RunPage(experiment, record, metrics, [t for t in tags if t[0].startswith("mlflow.")],
                   [t for t in tags if not t[0].startswith("mlflow.")], parent, children, files,
                   ci_record(dict(record.tags)), model_presenters.run_versions(record.uuid),
                   model_presenters.model_names())


@dataclass
class ComparePage:
    experiment: object
    runs: list
    param_rows: list  # (key, [values], differs)
    metric_rows: list  # (key, [values], differs)
    charts: list
    scatter: object
    axis_choices: list
    x_axis: str
    y_axis: str


def compare_page(experiment_id: int, iids: list[int], *, x_axis: str, y_axis: str) -> ComparePage:
    """Chosen runs side by side: params and latest metrics (differences marked), each metric's
    history overlaid, and a scatter of one param or metric against another.

    Raises:
        NotFound: an unknown experiment or run IID.
        InvalidParameter: fewer than two runs chosen.
    """
    if len(set(iids)) < 2:
        raise InvalidParameter("Choose at least two runs to compare")
    chosen = [browse.run_by_iid(experiment_id, iid) for iid in dict.fromkeys(iids)]
    experiment, records = chosen[0][0], [record for _, record in chosen]
    params = [dict(r.params) for r in records]
    metrics = [{m.key: m for m in r.metrics} for r in records]
    param_rows = _side_by_side(params, lambda v: v)
    metric_rows = _side_by_side(metrics, lambda m: "NaN" if m.is_nan else f"{m.value:.6g}")
    charts = []
    for key in sorted({k for m in metrics for k in m})[:6]:
        series = []
        for record in records:
            history, _ = get_metric_history(record.uuid, key)
            points = [(float(step), value) for _, value, nan, _, step in history if not nan]
            series.append(Series(f"{record.name} (#{record.iid})", downsample(points)))
        charts.append(line_chart(series, title=key))
    choices = [f"params.{k}" for k, _, _ in param_rows] + [f"metrics.{k}" for k, _, _ in metric_rows]
    x_axis = x_axis if x_axis in choices else (choices[0] if choices else "")
    y_axis = y_axis if y_axis in choices else (choices[-1] if choices else "")
    scatter = _scatter(records, params, metrics, x_axis, y_axis) if choices else None
    return ComparePage(experiment, records, param_rows, metric_rows, charts, scatter, choices,
                       x_axis, y_axis)


def _side_by_side(per_run: list[dict], show) -> list:
    rows = []
    for key in sorted({k for values in per_run for k in values}):
        shown = [show(values[key]) if key in values else "" for values in per_run]
        rows.append((key, shown, len(set(shown)) > 1))
    return rows


def _axis_value(axis: str, params: dict, metrics: dict) -> float | None:
    kind, _, key = axis.partition(".")
    if kind == "metrics":
        metric = metrics.get(key)
        return None if metric is None or metric.is_nan else metric.value
    try:
        return float(params.get(key))
    except (TypeError, ValueError):
        return None


def _scatter(records, params, metrics, x_axis: str, y_axis: str):
    series = []
    for record, p, m in zip(records, params, metrics):
        x, y = _axis_value(x_axis, p, m), _axis_value(y_axis, p, m)
        if x is not None and y is not None:
            series.append(Series(f"{record.name} (#{record.iid})", [(x, y)]))
    return line_chart(series, title=f"{y_axis} against {x_axis}", x_label=x_axis, lines=False)
