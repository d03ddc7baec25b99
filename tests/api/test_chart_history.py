"""Chart downsampling (services.metrics.metric_history_for_chart) against a brute-force answer."""
import math
import random

import pytest

from mlexp.domain import MetricPoint
from mlexp.extensions import db
from mlexp.services import run_data
from mlexp.services.metrics import metric_histories_for_charts, metric_history_for_chart
from tests import databases


def _expected(points: list[tuple[int, float]], max_points: int) -> list[tuple[float, float]]:
    """Cut [low, high] into integer buckets; each keeps (first x, min y) and (last x, max y)."""
    xs = [x for x, _ in points]
    low, high = min(xs), max(xs)
    buckets = max(1, min(max_points // 2, high - low + 1))
    edges = [low + (high - low + 1) * i // buckets for i in range(buckets + 1)]
    out = []
    for i in range(buckets):
        inside = [(x, y) for x, y in points if edges[i] <= x < edges[i + 1]]
        if inside:
            out += [(float(min(x for x, _ in inside)), min(y for _, y in inside)),
                    (float(max(x for x, _ in inside)), max(y for _, y in inside))]
    return out


def _log(run_id: str, points: list[MetricPoint]) -> None:
    for start in range(0, len(points), 1000):
        run_data.log_batch(run_id, metrics=points[start:start + 1000])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_long_step_history_is_bucketed_exactly(app, api, seed):
    rng = random.Random(seed)
    run_id = api.create_run()["info"]["run_id"]
    steps = sorted(rng.sample(range(0, 50_000), 3_000))
    values = {s: rng.uniform(-5, 5) for s in steps}
    points = [MetricPoint("loss", values[s], 1_000 + i, s) for i, s in enumerate(steps)]
    points += [MetricPoint("loss", math.nan, 99_999, 7)]  # NaN: counted, never drawn
    with app.app_context():
        _log(run_id, points)
        chart, count, x_is_step = metric_history_for_chart(run_id, "loss", max_points=100)
    assert x_is_step and count == len(points)
    assert chart == _expected([(s, values[s]) for s in steps], 100)
    assert len(chart) <= 100


def test_history_without_steps_is_bucketed_by_timestamp(app, api):
    run_id = api.create_run()["info"]["run_id"]
    points = [MetricPoint("acc", (i * 37 % 101) / 100, 1_700_000_000_000 + i * 13, 0) for i in range(900)]
    with app.app_context():
        _log(run_id, points)
        chart, count, x_is_step = metric_history_for_chart(run_id, "acc", max_points=60)
    assert not x_is_step and count == 900
    assert chart == _expected([(p.timestamp, p.value) for p in points], 60)


def test_short_history_comes_back_whole_and_in_step_order(app, api):
    run_id = api.create_run()["info"]["run_id"]
    points = [MetricPoint("m", float(10 - s), 5_000 - s, s) for s in range(10)]
    with app.app_context():
        _log(run_id, list(reversed(points)))
        chart, count, x_is_step = metric_history_for_chart(run_id, "m")
    assert (chart, count, x_is_step) == ([(float(s), float(10 - s)) for s in range(10)], 10, True)


def test_only_nan_points_give_an_empty_chart_with_their_count(app, api):
    run_id = api.create_run()["info"]["run_id"]
    with app.app_context():
        _log(run_id, [MetricPoint("m", math.nan, 1_000 + i, i) for i in range(3)])
        assert metric_history_for_chart(run_id, "m") == ([], 3, True)


def test_many_points_on_few_steps_keep_every_step_bucket(app, api):
    """500 points over steps 0..4: five buckets, each with its lowest and highest value."""
    run_id = api.create_run()["info"]["run_id"]
    points = [MetricPoint("m", float(i), 1_000 + i, i % 5) for i in range(500)]
    with app.app_context():
        _log(run_id, points)
        chart, count, x_is_step = metric_history_for_chart(run_id, "m", max_points=100)
    assert x_is_step and count == 500
    assert chart == _expected([(p.step, p.value) for p in points], 100)


def test_histories_read_in_slices_on_reader_threads_equal_one_read_each(app, api):
    """The run page's reader threads (services.metrics.metric_histories_for_charts) give exactly
    metric_history_for_chart's answer for every kind of history, in the keys' order."""
    rng = random.Random(7)
    run_id = api.create_run()["info"]["run_id"]
    points = [MetricPoint("long", rng.uniform(-1, 1), 1_000 + s, s) for s in range(5_000)]
    points += [MetricPoint("by-time", rng.random(), 1_700_000_000_000 + i * 7, 0) for i in range(700)]
    points += [MetricPoint("short", float(s), 10 + s, s) for s in range(5)]
    points += [MetricPoint("only-nan", math.nan, 5, 0), MetricPoint("one", 2.5, 9, 3)]
    keys = ["short", "long", "only-nan", "by-time", "one"]
    with app.app_context():
        _log(run_id, points)
        one_by_one = [metric_history_for_chart(run_id, key, max_points=80) for key in keys]
        sliced = list(metric_histories_for_charts(run_id, keys, max_points=80))

    assert sliced == one_by_one
    assert [len(chart) for chart, _, _ in sliced][:3] == [5, 80, 0]


def test_history_is_bucketed_when_steps_reach_both_ends_of_int64(app, api):
    """The last bucket ends at the largest int64: its bounds are bound as inclusive values."""
    run_id = api.create_run()["info"]["run_id"]
    steps = [-2**63, -1, 0, 2**62, 2**63 - 1]
    points = [MetricPoint("m", float(i), 1_000 + i, s) for i, s in enumerate(steps)]
    points += [MetricPoint("m", float(i), 2_000 + i, s) for i, s in enumerate(steps)]
    with app.app_context():
        _log(run_id, points)
        chart, count, x_is_step = metric_history_for_chart(run_id, "m", max_points=4)
    assert x_is_step and count == 10
    assert chart == _expected([(p.step, p.value) for p in points], 4)


def test_buckets_come_back_in_order_when_postgresql_runs_the_parts_in_parallel(app, api):
    """PostgreSQL may answer a UNION ALL's parts in any order once it plans them in parallel."""
    if databases.backend.name != "postgresql":
        pytest.skip("about PostgreSQL's parallel plans")
    rng = random.Random(11)
    run_id = api.create_run()["info"]["run_id"]
    points = [MetricPoint("m", rng.uniform(-1, 1), 1_000 + s, s) for s in range(20_000)]
    with app.app_context():
        _log(run_id, points)
        with db.engine.begin() as connection:  # every new connection to this database plans in parallel
            name = connection.exec_driver_sql("SELECT current_database()").scalar()
            connection.exec_driver_sql(
                f'ALTER DATABASE "{name}" SET parallel_setup_cost = 0; ALTER DATABASE "{name}" SET '
                f'parallel_tuple_cost = 0; ALTER DATABASE "{name}" SET min_parallel_index_scan_size = 0; '
                f'ALTER DATABASE "{name}" SET min_parallel_table_scan_size = 0')
        db.engine.dispose()
        charts = [metric_history_for_chart(run_id, "m", max_points=200)[0] for _ in range(5)]
    expected = _expected([(p.step, p.value) for p in points], 200)
    assert all(chart == expected for chart in charts)
