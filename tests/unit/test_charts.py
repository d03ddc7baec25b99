"""The SVG chart module: scaling, ticks, downsampling and escaping."""
import math

from mlexp.web.charts import Series, downsample, fmt, line_chart, nice_ticks


def test_ticks_are_round_and_cover_the_range_when_asked():
    assert nice_ticks(0, 1) == [0, 0.25, 0.5, 0.75, 1.0]
    assert nice_ticks(3, 3) == [3]
    assert nice_ticks(-math.inf, 1) == []


def test_downsample_keeps_extremes_and_ends_when_history_is_long():
    points = [(float(i), math.sin(i / 50)) for i in range(100_000)]
    kept = downsample(points, 300)
    assert len(kept) <= 302
    assert kept[0] == points[0] and kept[-1] == points[-1]
    assert max(y for _, y in kept) == max(y for _, y in points)
    assert min(y for _, y in kept) == min(y for _, y in points)


def test_downsample_returns_short_histories_unchanged_when_small():
    points = [(1.0, 2.0), (2.0, 3.0)]
    assert downsample(points) == points


def test_chart_escapes_labels_when_they_hold_markup():
    svg = str(line_chart([Series("<script>x</script>", [(0, 1), (1, 2)])], title="<b>t</b>"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&lt;b&gt;t&lt;/b&gt;" in svg


def test_chart_draws_one_polyline_per_series_with_legend_when_several():
    svg = str(line_chart([Series("a", [(0, 1), (1, 2)]), Series("b", [(0, 2), (1, 0)])], title="loss"))
    assert svg.count("<polyline") == 2
    assert "chart-legend" in svg


def test_chart_skips_non_finite_values_when_present():
    svg = str(line_chart([Series("m", [(0, math.nan), (1, math.inf)])], title="m"))
    assert "no finite values" in svg


def test_numbers_format_compactly_when_large_or_small():
    assert fmt(123456789) == "1.23e+08"
    assert fmt(0.5) == "0.5"
    assert fmt(0) == "0"


def test_ticks_stay_few_when_values_differ_below_float_resolution():
    assert nice_ticks(1e16, 1e16 + 2) == [1e16, 1e16 + 2]
    assert nice_ticks(5e-324, 1e-323) == [5e-324, 1e-323]
    assert nice_ticks(0, 5e-324) == [0, 5e-324]


def test_ticks_span_without_overflow_when_values_are_at_float_ends():
    assert nice_ticks(-1.7e308, 1.7e308) == [-1e308, 0, 1e308]
    assert nice_ticks(-math.inf, 1) == [] and nice_ticks(2, 1) == []


def test_chart_widens_single_value_within_float_range_when_value_is_near_max():
    svg = str(line_chart([Series("m", [(0, 1.7e308), (1, 1.7e308)])], title="m"))
    assert 'points="56.0,98.1 508.0,98.1"' in svg
    assert ">1.7e+308</text>" in svg and "inf" not in svg


def test_chart_labels_each_tick_once_when_ticks_format_alike():
    svg = str(line_chart([Series("m", [(0, 1e16), (1, 1e16 + 2)])], title="m"))
    assert svg.count(">1e+16</text>") == 1
