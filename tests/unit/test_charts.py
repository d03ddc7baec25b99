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
