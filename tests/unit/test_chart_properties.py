"""Property tests: any metric values (huge, tiny, subnormal, equal, NaN, inf) chart with a bounded
number of ticks and finite SVG numbers."""
import math
import re
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlexp.web.charts import Series, line_chart, nice_ticks

# 300 examples each: ~1 s together, enough to reach every kind of value below many times.
EXAMPLES = settings(max_examples=300, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

MAX = sys.float_info.max
EDGES = [0.0, -0.0, 1.0, 1e16, 1e16 + 2, 1.7e308, -1.7e308, MAX, -MAX, 5e-324, -5e-324, 1e-320,
         2.2250738585072014e-308, 2**53, 2**63 - 1, -2**63, math.nan, math.inf, -math.inf]
VALUES = st.one_of(st.sampled_from(EDGES), st.floats(), st.floats(-1e3, 1e3),
                   st.floats(allow_subnormal=True, min_value=-1e-300, max_value=1e-300))
FINITE = st.one_of(st.sampled_from([v for v in EDGES if math.isfinite(v)]),
                   st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def points(draw):
    """0, 1 or many points; sometimes every value the same."""
    size = draw(st.sampled_from([0, 1, 2, 3, 40]))
    if draw(st.booleans()):
        x, y = draw(VALUES), draw(VALUES)
        return [(x if draw(st.booleans()) else float(i), y) for i in range(size)]
    return [(draw(VALUES), draw(VALUES)) for _ in range(size)]


NUMBER = r"-?\d+(\.\d+)?"
COORDINATE = re.compile(r'\b(x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"')


@EXAMPLES
@given(low=FINITE, high=FINITE)
def test_ticks_are_few_ordered_and_within_range_when_given_any_finite_pair(low, high):
    low, high = min(low, high), max(low, high)
    ticks = nice_ticks(low, high)
    assert 1 <= len(ticks) <= 6
    assert ticks == sorted(set(ticks))
    assert all(low <= tick <= high for tick in ticks)


@EXAMPLES
@given(series=st.lists(points(), min_size=1, max_size=4), lines=st.booleans())
def test_chart_has_bounded_ticks_and_finite_coordinates_when_values_are_extreme(series, lines):
    svg = str(line_chart([Series(f"s{i}", p) for i, p in enumerate(series)], title="m", lines=lines))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count('class="chart-tick"') <= 12
    for name, value in COORDINATE.findall(svg):
        assert re.fullmatch(NUMBER, value), (name, value)
    for polyline in re.findall(r'points="([^"]*)"', svg):
        assert all(re.fullmatch(f"{NUMBER},{NUMBER}", pair) for pair in polyline.split()), polyline
    drawn = [float(v) for name, v in COORDINATE.findall(svg) if name in ("cx", "cy")]
    assert all(0 <= v <= 520 for v in drawn)
